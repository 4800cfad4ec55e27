// The relay's C source, kept as a string so it travels inside the bundle (no asset paths to find at run time).
// relay.ts compiles it once per source hash with the system C compiler; see relay.ts for why C.
// The source has no backtick and no "${", so String.raw keeps it byte for byte.
export const RELAY_PROGRAM_SOURCE = String.raw`/* jailwright syslog relay: owns <jail>/dev/log, forwards to the host syslog. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_MESSAGE 65536
#define MAX_JAIL_NAME 128
#define MAX_TAGGED (MAX_MESSAGE + MAX_JAIL_NAME + 2)
#define RETRY_MS 100
#define DRAIN_BATCH 256

struct item {
  struct item *next;
  struct ucred cred;
  int has_cred;
  size_t length;
  char data[];
};

static volatile sig_atomic_t stop_requested, stats_requested;
static void on_stop(int signal_number) { (void)signal_number; stop_requested = 1; }
static void on_stats(int signal_number) { (void)signal_number; stats_requested = 1; }

static const char *jail_root, *jail_name = "", *target_path = "/dev/log", *stats_path;
static long rate_interval_ms = 0, rate_base = 0, rate_peak = 0;
static int policy_block = 0, tag_messages = 1;
static size_t buffer_bytes = 1024 * 1024;

static struct sockaddr_un target;
static socklen_t target_length;
static int out_fd = -1, dev_fd = -1;
static ino_t socket_inode;
static long notice_interval_ms = 1000;

static double tokens;
static int64_t last_refill_ms;
static struct item *queue_head, *queue_tail;
static size_t queue_bytes, queue_count;
static int target_down;
static int64_t next_retry_ms, next_notice_ms;

static unsigned long long sequence, received, forwarded, dropped_rate_limit, dropped_overflow, dropped_error,
    credential_fallbacks, target_down_events, truncated, dropped_unreported;
static size_t max_queue_bytes;

static int64_t now_ms(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static void die(const char *what) {
  fprintf(stderr, "jailwright-syslog-relay: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void write_stats(int ready, int stopped) {
  char temporary[4096];
  snprintf(temporary, sizeof temporary, "%s.tmp", stats_path);
  FILE *file = fopen(temporary, "w");
  if (!file) return;
  sequence++;
  fprintf(file,
          "{\"ready\":%s,\"stopped\":%s,\"pid\":%ld,\"sequence\":%llu,\"received\":%llu,\"forwarded\":%llu,"
          "\"droppedRateLimit\":%llu,\"droppedOverflow\":%llu,\"droppedError\":%llu,\"credentialFallbacks\":%llu,"
          "\"targetDownEvents\":%llu,\"truncated\":%llu,\"queued\":%zu,\"queueBytes\":%zu,\"maxQueueBytes\":%zu,"
          "\"bufferBytes\":%zu}\n",
          ready ? "true" : "false", stopped ? "true" : "false", (long)getpid(), sequence, received, forwarded,
          dropped_rate_limit, dropped_overflow, dropped_error, credential_fallbacks, target_down_events, truncated,
          queue_count, queue_bytes, max_queue_bytes, buffer_bytes);
  fclose(file);
  rename(temporary, stats_path);
}

/* Inserts "<jail>/" before the tag: after <PRI> and an RFC 3164 timestamp, or as the RFC 5424 APP-NAME prefix. */
static size_t tag_message(const char *in, size_t length, char *out) {
  size_t jail_length = strlen(jail_name), at = 0;
  if (!tag_messages || jail_length == 0) {
    memcpy(out, in, length);
    return length;
  }
  if (length > 2 && in[0] == '<') {
    size_t q = 1;
    while (q < length && q < 5 && in[q] >= '0' && in[q] <= '9') q++;
    if (q > 1 && q < length && in[q] == '>') at = q + 1;
  }
  if (at + 1 < length && in[at] == '1' && in[at + 1] == ' ') {
    size_t q = at, fields = 0;
    while (q < length && fields < 3) if (in[q++] == ' ') fields++;
    if (fields == 3) {
      at = q;
      if (at < length && in[at] == '-' && (at + 1 == length || in[at + 1] == ' ')) {
        memcpy(out, in, at);
        memcpy(out + at, jail_name, jail_length);
        memcpy(out + at + jail_length, in + at + 1, length - at - 1);
        return length - 1 + jail_length;
      }
    }
  } else if (length - at >= 16 && in[at + 3] == ' ' && in[at + 6] == ' ' && in[at + 9] == ':' && in[at + 12] == ':' &&
             in[at + 15] == ' ') {
    at += 16;
  }
  memcpy(out, in, at);
  memcpy(out + at, jail_name, jail_length);
  out[at + jail_length] = '/';
  memcpy(out + at + jail_length + 1, in + at, length - at);
  return length + jail_length + 1;
}

enum { SENT, TRANSIENT, DROPPED };

/* One sendmsg by path, so a restarted syslog daemon's new socket is found again. */
static int forward(const char *data, size_t length, const struct ucred *cred) {
  struct iovec vector = {(void *)data, length};
  union {
    char buffer[CMSG_SPACE(sizeof(struct ucred))];
    struct cmsghdr align;
  } control;
  struct msghdr message;
  for (;;) {
    memset(&message, 0, sizeof message);
    message.msg_name = &target;
    message.msg_namelen = target_length;
    message.msg_iov = &vector;
    message.msg_iovlen = 1;
    if (cred) {
      memset(&control, 0, sizeof control);
      message.msg_control = control.buffer;
      message.msg_controllen = sizeof control.buffer;
      struct cmsghdr *header = CMSG_FIRSTHDR(&message);
      header->cmsg_level = SOL_SOCKET;
      header->cmsg_type = SCM_CREDENTIALS;
      header->cmsg_len = CMSG_LEN(sizeof(struct ucred));
      memcpy(CMSG_DATA(header), cred, sizeof(struct ucred));
    }
    if (sendmsg(out_fd, &message, MSG_NOSIGNAL) >= 0) return SENT;
    if (errno == EINTR) {
      if (stop_requested) return TRANSIENT;
      continue;
    }
    /* The sender exited before we forwarded (its pid is gone), or we lack the privilege: send as ourselves. */
    if (cred && (errno == ESRCH || errno == EPERM)) {
      credential_fallbacks++;
      cred = NULL;
      continue;
    }
    if (errno == EMSGSIZE) return DROPPED;
    return TRANSIENT;
  }
}

static void mark_down(void) {
  if (!target_down) target_down_events++;
  target_down = 1;
  next_retry_ms = now_ms() + RETRY_MS;
}

/* The buffer always takes one message, so a buffer smaller than the largest datagram still holds one. */
static int is_full(size_t length) { return queue_head != NULL && queue_bytes + length > buffer_bytes; }

static int enqueue(const char *data, size_t length, const struct ucred *cred) {
  if (is_full(length)) return 0;
  struct item *item = malloc(sizeof *item + length);
  if (!item) return 0;
  item->next = NULL;
  item->has_cred = cred != NULL;
  if (cred) item->cred = *cred;
  item->length = length;
  memcpy(item->data, data, length);
  if (queue_tail) queue_tail->next = item; else queue_head = item;
  queue_tail = item;
  queue_bytes += length;
  queue_count++;
  if (queue_bytes > max_queue_bytes) max_queue_bytes = queue_bytes;
  return 1;
}

static void flush_queue(void) {
  while (queue_head) {
    int result = forward(queue_head->data, queue_head->length, queue_head->has_cred ? &queue_head->cred : NULL);
    if (result == TRANSIENT) {
      mark_down();
      return;
    }
    if (result == SENT) forwarded++; else dropped_error++;
    struct item *done = queue_head;
    queue_head = done->next;
    if (!queue_head) queue_tail = NULL;
    queue_bytes -= done->length;
    queue_count--;
    free(done);
  }
  target_down = 0;
}

static void refill(void) {
  if (rate_base <= 0) return;
  int64_t now = now_ms();
  tokens += (double)(now - last_refill_ms) * (double)rate_base / (double)rate_interval_ms;
  if (tokens > (double)rate_peak) tokens = (double)rate_peak;
  last_refill_ms = now;
}

static void notice_drops(void) {
  char text[512];
  int length = snprintf(text, sizeof text,
                        "<44>jailwright-relay[%ld]: jail %s: dropped %llu messages (over the limit of %ld per %ld ms with bursts of %ld, "
                        "or the buffer was full while the target was down)",
                        (long)getpid(), jail_name, dropped_unreported, rate_base, rate_interval_ms, rate_peak);
  if (forward(text, (size_t)length, NULL) == SENT) dropped_unreported = 0;
}

static int open_jail_socket(void) {
  int root_fd = open(jail_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) die("open the jail root");
  dev_fd = openat(root_fd, "dev", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dev_fd < 0 && errno == ENOENT) {
    if (mkdirat(root_fd, "dev", 0755) < 0 && errno != EEXIST) die("create the jail /dev");
    dev_fd = openat(root_fd, "dev", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  }
  if (dev_fd < 0) die("open the jail /dev without following a symlink");
  struct stat info;
  if (fstat(dev_fd, &info) < 0) die("stat the jail /dev");
  if (info.st_uid != geteuid() || (info.st_mode & 022)) {
    fprintf(stderr, "jailwright-syslog-relay: the jail /dev must be owned by uid %ld and writable by no one else (it is uid %ld, mode %o)\n",
            (long)geteuid(), (long)info.st_uid, (unsigned)(info.st_mode & 07777));
    exit(1);
  }
  if (fstatat(dev_fd, "log", &info, AT_SYMLINK_NOFOLLOW) == 0) {
    if (!S_ISSOCK(info.st_mode)) {
      fprintf(stderr, "jailwright-syslog-relay: the jail /dev/log exists and is not a socket; remove it\n");
      exit(1);
    }
    if (unlinkat(dev_fd, "log", 0) < 0) die("remove the old jail /dev/log socket");
  }
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket");
  int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) < 0) die("SO_PASSCRED");
  int receive_buffer = 4 * 1024 * 1024;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &receive_buffer, sizeof receive_buffer) < 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  /* bind() by a relative name from inside the opened /dev: no path component is looked up again. */
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  strcpy(address.sun_path, "log");
  if (fchdir(dev_fd) < 0) die("enter the jail /dev");
  mode_t old_mask = umask(0111);
  if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0) die("bind the jail /dev/log");
  umask(old_mask);
  if (chdir("/") < 0) die("chdir /");
  if (fstatat(dev_fd, "log", &info, AT_SYMLINK_NOFOLLOW) == 0) socket_inode = info.st_ino;
  close(root_fd);
  return fd;
}

static void usage(void) {
  fprintf(stderr, "usage: jailwright-syslog-relay --jail-root DIR --jail-name NAME --stats FILE [--target PATH] "
                  "[--rate-interval-ms N --rate-base N --rate-peak N] [--policy drop|block] [--buffer-bytes N] [--no-tag]\n");
  exit(2);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *option = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(option, "--no-tag")) { tag_messages = 0; continue; }
    if (!value) usage();
    i++;
    if (!strcmp(option, "--jail-root")) jail_root = value;
    else if (!strcmp(option, "--jail-name")) jail_name = value;
    else if (!strcmp(option, "--target")) target_path = value;
    else if (!strcmp(option, "--stats")) stats_path = value;
    else if (!strcmp(option, "--rate-interval-ms")) rate_interval_ms = atol(value);
    else if (!strcmp(option, "--rate-base")) rate_base = atol(value);
    else if (!strcmp(option, "--rate-peak")) rate_peak = atol(value);
    else if (!strcmp(option, "--policy")) policy_block = !strcmp(value, "block");
    else if (!strcmp(option, "--buffer-bytes")) buffer_bytes = (size_t)atol(value);
    else usage();
  }
  if (!jail_root || !stats_path || strlen(jail_name) > MAX_JAIL_NAME || strlen(target_path) >= sizeof target.sun_path) usage();
  if (rate_base > 0 && (rate_interval_ms <= 0 || rate_peak <= 0)) usage();

  struct sigaction action = {0};
  action.sa_handler = on_stop;
  sigaction(SIGTERM, &action, NULL);
  sigaction(SIGINT, &action, NULL);
  action.sa_handler = on_stats;
  sigaction(SIGUSR1, &action, NULL);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);

  target.sun_family = AF_UNIX;
  strcpy(target.sun_path, target_path);
  target_length = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(target_path) + 1);
  out_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (out_fd < 0) die("socket");
  /* A stalled target blocks a send for at most a second; then the message waits in the buffer. */
  struct timeval send_timeout = {1, 0};
  setsockopt(out_fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
  int in_fd = open_jail_socket();

  tokens = (double)rate_peak;
  last_refill_ms = now_ms();
  if (rate_interval_ms > 0) notice_interval_ms = rate_interval_ms;
  next_notice_ms = last_refill_ms + notice_interval_ms;
  write_stats(1, 0);

  static char raw[MAX_MESSAGE + 1], tagged[MAX_TAGGED];
  union {
    char buffer[CMSG_SPACE(sizeof(struct ucred))];
    struct cmsghdr align;
  } control;

  while (!stop_requested) {
    if (stats_requested) {
      stats_requested = 0;
      write_stats(1, 0);
    }
    refill();
    int64_t now = now_ms();
    if (queue_head && now >= next_retry_ms) flush_queue();
    if (dropped_unreported && now >= next_notice_ms && !queue_head) {
      notice_drops();
      next_notice_ms = now + notice_interval_ms;
    }

    int limited = rate_base > 0 && tokens < 1.0;
    int full = is_full(MAX_TAGGED);
    int want_read = !(policy_block && (limited || full));
    int timeout = 1000;
    if (queue_head) timeout = (int)(next_retry_ms > now ? next_retry_ms - now : 0);
    if (policy_block && limited) {
      int wait = (int)((1.0 - tokens) * (double)rate_interval_ms / (double)rate_base) + 1;
      if (wait < timeout) timeout = wait;
    }
    if (dropped_unreported && timeout > notice_interval_ms) timeout = (int)notice_interval_ms;
    struct pollfd poll_entry = {in_fd, POLLIN, 0};
    int ready = poll(&poll_entry, want_read ? 1 : 0, timeout);
    if (ready < 0 && errno != EINTR) die("poll");
    if (ready <= 0 || !want_read) continue;

    for (int batch = 0; batch < DRAIN_BATCH && !stop_requested; batch++) {
      if (policy_block && ((rate_base > 0 && tokens < 1.0) || is_full(MAX_TAGGED))) break;
      struct iovec vector = {raw, sizeof raw};
      struct msghdr message = {0};
      message.msg_iov = &vector;
      message.msg_iovlen = 1;
      message.msg_control = control.buffer;
      message.msg_controllen = sizeof control.buffer;
      ssize_t length = recvmsg(in_fd, &message, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
      if (length < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        if (errno == EINTR) continue;
        die("recvmsg");
      }
      received++;
      if (message.msg_flags & MSG_TRUNC) {
        truncated++;
        length = MAX_MESSAGE;
      }
      if (rate_base > 0) {
        if (tokens >= 1.0) tokens -= 1.0;
        else {
          dropped_rate_limit++;
          dropped_unreported++;
          continue;
        }
      }
      struct ucred *cred = NULL;
      for (struct cmsghdr *header = CMSG_FIRSTHDR(&message); header; header = CMSG_NXTHDR(&message, header))
        if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_CREDENTIALS) cred = (struct ucred *)CMSG_DATA(header);
      struct ucred sender;
      if (cred) {
        memcpy(&sender, cred, sizeof sender);
        cred = &sender;
      }
      size_t tagged_length = tag_message(raw, (size_t)length, tagged);
      if (!queue_head && !target_down) {
        int result = forward(tagged, tagged_length, cred);
        if (result == SENT) { forwarded++; continue; }
        if (result == DROPPED) { dropped_error++; continue; }
        mark_down();
      }
      if (!enqueue(tagged, tagged_length, cred)) {
        dropped_overflow++;
        dropped_unreported++;
      }
    }
  }

  if (queue_head) flush_queue();
  write_stats(1, 1);
  /* Remove our socket only if it is still ours. */
  struct stat info;
  if (fstatat(dev_fd, "log", &info, AT_SYMLINK_NOFOLLOW) == 0 && S_ISSOCK(info.st_mode) && info.st_ino == socket_inode)
    unlinkat(dev_fd, "log", 0);
  return 0;
}
`;
