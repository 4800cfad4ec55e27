// The Landlock scope step's C source, kept as a string so it travels inside the bundle; compiled on first use
// by native/helper-program.ts. Node cannot make the landlock syscalls, and util-linux setpriv (2.38) has no
// Landlock support. No backtick and no "${" in it, so String.raw keeps it byte for byte.
export const LANDLOCK_PROGRAM_SOURCE = String.raw`/* jailwright landlock scope: confine what follows to its own Landlock domain, then exec it. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Older kernel headers (Debian bookworm's are 6.1) lack ABI 6's scoped field: the ABI is stable, define it here. */
#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#endif
#ifndef __NR_landlock_restrict_self
#define __NR_landlock_restrict_self 446
#endif
#define CREATE_RULESET_VERSION (1U << 0)
#define SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#define SCOPE_SIGNAL (1ULL << 1)
#define SCOPE_ABI 6

struct scoped_ruleset_attr {
  uint64_t handled_access_fs;
  uint64_t handled_access_net;
  uint64_t scoped;
};

static void usage(void) {
  fprintf(stderr, "usage: landlock-scope --abi\n"
                  "       landlock-scope --scope abstract-unix-socket,signal -- /absolute/program [argument...]\n");
  exit(2);
}

/* Prints the ABI the kernel offers ("abi 6"), or why it offers none ("abi 0 <reason>"). */
static int print_abi(void) {
  long abi = syscall(__NR_landlock_create_ruleset, NULL, 0, CREATE_RULESET_VERSION);
  if (abi >= 0) printf("abi %ld\n", abi);
  else if (errno == ENOSYS) printf("abi 0 the kernel is built without Landlock (CONFIG_SECURITY_LANDLOCK)\n");
  else if (errno == EOPNOTSUPP) printf("abi 0 Landlock is disabled at boot (add landlock to the lsm= kernel parameter)\n");
  else printf("abi 0 landlock_create_ruleset: %s\n", strerror(errno));
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 2 && !strcmp(argv[1], "--abi")) return print_abi();
  if (argc < 5 || strcmp(argv[1], "--scope") || strcmp(argv[3], "--") || argv[4][0] != '/') usage();
  struct scoped_ruleset_attr attr = {0, 0, 0};
  char *list = strdup(argv[2]);
  for (char *name = strtok(list, ","); name; name = strtok(NULL, ",")) {
    if (!strcmp(name, "abstract-unix-socket")) attr.scoped |= SCOPE_ABSTRACT_UNIX_SOCKET;
    else if (!strcmp(name, "signal")) attr.scoped |= SCOPE_SIGNAL;
    else {
      fprintf(stderr, "jailwright-landlock: unknown scope %s\n", name);
      return 2;
    }
  }
  /* Fail closed: the launch asked for the scope, so the service does not start without it. */
  long abi = syscall(__NR_landlock_create_ruleset, NULL, 0, CREATE_RULESET_VERSION);
  if (abi < SCOPE_ABI) {
    fprintf(stderr, "jailwright-landlock: the kernel offers Landlock ABI %ld (%s), scoping needs ABI %d (Linux 6.12)\n", abi < 0 ? 0 : abi,
            abi < 0 ? strerror(errno) : "too old", SCOPE_ABI);
    return 125;
  }
  int ruleset = (int)syscall(__NR_landlock_create_ruleset, &attr, sizeof attr, 0);
  if (ruleset < 0) {
    perror("jailwright-landlock: landlock_create_ruleset");
    return 125;
  }
  /* setpriv --no-new-privs ran before us; set it again so this step never depends on the order of the chain. */
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    perror("jailwright-landlock: PR_SET_NO_NEW_PRIVS");
    return 125;
  }
  if (syscall(__NR_landlock_restrict_self, ruleset, 0) != 0) {
    perror("jailwright-landlock: landlock_restrict_self");
    return 125;
  }
  close(ruleset);
  execv(argv[4], argv + 4);
  fprintf(stderr, "jailwright-landlock: exec %s: %s\n", argv[4], strerror(errno));
  return 127;
}
`;
