/*
 * Helpers the breakout tests run on the host, outside any jail:
 *   serve-fd NAME DIR        listen on the abstract unix socket @NAME and hand every client a descriptor of DIR (SCM_RIGHTS)
 *   chroot-no-chdir JAIL UID GID PROGRAM ARGS...
 *                            the weak launcher: chroot(2) without chdir, drop to UID:GID, exec PROGRAM (its cwd stays outside)
 *   handle PATH              print the file handle of PATH as "TYPE HEX" (what open_by_handle_at needs)
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stddef.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int serve_fd(const char *name, const char *directory) {
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  size_t length = strlen(name);
  memcpy(address.sun_path + 1, name, length);
  int listener = socket(AF_UNIX, SOCK_STREAM, 0);
  if (bind(listener, (struct sockaddr *)&address, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + length)) != 0 || listen(listener, 8) != 0) {
    perror("bind");
    return 1;
  }
  int fd = open(directory, O_RDONLY | O_DIRECTORY);
  if (fd < 0) { perror(directory); return 1; }
  printf("READY\n");
  fflush(stdout);
  for (;;) {
    int client = accept(listener, NULL, NULL);
    if (client < 0) continue;
    char byte = 'x';
    struct iovec io = {&byte, 1};
    union { struct cmsghdr header; char space[CMSG_SPACE(sizeof(int))]; } control;
    memset(&control, 0, sizeof control);
    struct msghdr message = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = control.space, .msg_controllen = sizeof control.space};
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(header), &fd, sizeof fd);
    sendmsg(client, &message, 0);
    close(client);
  }
}

static int chroot_no_chdir(char **argv) {
  if (chroot(argv[0]) != 0) { perror("chroot"); return 111; }
  if (setgroups(0, NULL) != 0 || setgid((gid_t)atoi(argv[2])) != 0 || setuid((uid_t)atoi(argv[1])) != 0) { perror("drop"); return 112; }
  execv(argv[3], argv + 3);
  perror("execv");
  return 113;
}

static int handle(const char *path) {
  struct file_handle *found = malloc(sizeof *found + MAX_HANDLE_SZ);
  found->handle_bytes = MAX_HANDLE_SZ;
  int mount_id;
  if (name_to_handle_at(AT_FDCWD, path, found, &mount_id, 0) != 0) { perror("name_to_handle_at"); return 1; }
  printf("%d ", found->handle_type);
  for (unsigned i = 0; i < found->handle_bytes; i++) printf("%02x", found->f_handle[i]);
  printf("\n");
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && !strcmp(argv[1], "serve-fd")) return serve_fd(argv[2], argv[3]);
  if (argc >= 6 && !strcmp(argv[1], "chroot-no-chdir")) return chroot_no_chdir(argv + 2);
  if (argc == 3 && !strcmp(argv[1], "handle")) return handle(argv[2]);
  fprintf(stderr, "usage: outside serve-fd NAME DIR | chroot-no-chdir JAIL UID GID PROGRAM ARGS... | handle PATH\n");
  return 2;
}
