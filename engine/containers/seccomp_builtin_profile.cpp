// berth's built-in seccomp profile, in Docker's profile format. It follows the policy of Docker's
// default profile, so programs that run under dockerd run the same here:
// - everything not listed fails with EPERM;
// - ordinary system calls are allowed, including those whose danger the kernel already gates on a
//   capability the container lacks (mknod, setuid, …);
// - calls that reach kernel-wide state (mount, unshare, setns, bpf, perf_event_open, ptrace on old
//   kernels, module loading, clocks, reboot, keyrings, io_uring, userfaultfd) are allowed only when
//   the container holds the capability that makes them legitimate, or not at all;
// - clone may not create namespaces without CAP_SYS_ADMIN, and clone3 (whose flags seccomp cannot
//   inspect) answers ENOSYS then, so libc falls back to clone;
// - socket may not open AF_VSOCK (a channel to the hypervisor), personality only the harmless
//   personas.
// Names unknown to the host's libseccomp are skipped by the runtime, so newer calls can be listed.
#include <initializer_list>
#include <string>

#include "engine/containers/oci_seccomp.hpp"

namespace berth::engine {
namespace {

using nlohmann::json;

// clang-format off
const std::initializer_list<const char*> kAllowed = {
    "accept", "accept4", "access", "adjtimex", "alarm", "bind", "brk", "cachestat", "capget",
    "capset", "chdir", "chmod", "chown", "chown32", "clock_adjtime", "clock_adjtime64",
    "clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
    "clock_nanosleep_time64", "close", "close_range", "connect", "copy_file_range", "creat", "dup",
    "dup2", "dup3", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
    "epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "execve", "execveat",
    "exit", "exit_group", "faccessat", "faccessat2", "fadvise64", "fadvise64_64", "fallocate",
    "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchmodat2", "fchown", "fchown32", "fchownat",
    "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock", "fork", "fremovexattr",
    "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64", "fsync", "ftruncate",
    "ftruncate64", "futex", "futex_requeue", "futex_time64", "futex_wait", "futex_waitv",
    "futex_wake", "futimesat", "get_robust_list", "get_thread_area", "getcpu", "getcwd", "getdents",
    "getdents64", "getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups",
    "getgroups32", "getitimer", "getpeername", "getpgid", "getpgrp", "getpid", "getppid",
    "getpriority", "getrandom", "getresgid", "getresgid32", "getresuid", "getresuid32", "getrlimit",
    "getrusage", "getsid", "getsockname", "getsockopt", "gettid", "gettimeofday", "getuid",
    "getuid32", "getxattr", "inotify_add_watch", "inotify_init", "inotify_init1",
    "inotify_rm_watch", "io_cancel", "io_destroy", "io_getevents", "io_pgetevents",
    "io_pgetevents_time64", "io_setup", "io_submit", "ioctl", "ioprio_get", "ioprio_set", "ipc",
    "kill", "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "lchown",
    "lchown32", "lgetxattr", "link", "linkat", "listen", "listxattr", "llistxattr", "_llseek",
    "lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "madvise", "map_shadow_stack",
    "membarrier", "memfd_create", "memfd_secret", "mincore", "mkdir", "mkdirat", "mknod", "mknodat",
    "mlock", "mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mq_getsetattr", "mq_notify",
    "mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend", "mq_timedsend_time64",
    "mq_unlink", "mremap", "msgctl", "msgget", "msgrcv", "msgsnd", "msync", "munlock", "munlockall",
    "munmap", "name_to_handle_at", "nanosleep", "newfstatat", "_newselect", "open", "openat",
    "openat2", "pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "pkey_alloc",
    "pkey_free", "pkey_mprotect", "poll", "ppoll", "ppoll_time64", "prctl", "pread64", "preadv",
    "preadv2", "prlimit64", "process_mrelease", "pselect6", "pselect6_time64", "pwrite64",
    "pwritev", "pwritev2", "read", "readahead", "readlink", "readlinkat", "readv", "recv",
    "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "remap_file_pages", "removexattr",
    "rename", "renameat", "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction",
    "rt_sigpending", "rt_sigprocmask", "rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend",
    "rt_sigtimedwait", "rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sched_get_priority_max",
    "sched_get_priority_min", "sched_getaffinity", "sched_getattr", "sched_getparam",
    "sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64",
    "sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler", "sched_yield",
    "seccomp", "select", "semctl", "semget", "semop", "semtimedop", "semtimedop_time64", "send",
    "sendfile", "sendfile64", "sendmmsg", "sendmsg", "sendto", "set_robust_list", "set_thread_area",
    "set_tid_address", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32",
    "setgroups", "setgroups32", "setitimer", "setpgid", "setpriority", "setregid", "setregid32",
    "setresgid", "setresgid32", "setresuid", "setresuid32", "setreuid", "setreuid32", "setrlimit",
    "setsid", "setsockopt", "setuid", "setuid32", "setxattr", "shmat", "shmctl", "shmdt", "shmget",
    "shutdown", "sigaltstack", "signalfd", "signalfd4", "sigprocmask", "sigreturn", "socketcall",
    "socketpair", "splice", "stat", "stat64", "statfs", "statfs64", "statx", "symlink", "symlinkat",
    "sync", "sync_file_range", "syncfs", "sysinfo", "tee", "tgkill", "time", "timer_create",
    "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64", "timer_settime",
    "timer_settime64", "timerfd_create", "timerfd_gettime", "timerfd_gettime64", "timerfd_settime",
    "timerfd_settime64", "times", "tkill", "truncate", "truncate64", "ugetrlimit", "umask", "uname",
    "unlink", "unlinkat", "utime", "utimensat", "utimensat_time64", "utimes", "vfork", "vmsplice",
    "wait4", "waitid", "waitpid", "write", "writev",
};
// clang-format on

// System calls that become legitimate with one capability.
struct CapabilityCalls {
  const char* capability;
  std::initializer_list<const char*> names;
};
const std::initializer_list<CapabilityCalls> kByCapability = {
    {"CAP_DAC_READ_SEARCH", {"open_by_handle_at"}},
    {"CAP_SYS_ADMIN",
     {"bpf",           "clone",       "fanotify_init",   "fsconfig", "fsmount",
      "fsopen",        "fspick",      "lookup_dcookie",  "mount",    "mount_setattr",
      "move_mount",    "open_tree",   "perf_event_open", "quotactl", "quotactl_fd",
      "setdomainname", "sethostname", "setns",           "syslog",   "umount",
      "umount2",       "unshare"}},
    {"CAP_SYS_BOOT", {"reboot"}},
    {"CAP_SYS_CHROOT", {"chroot"}},
    {"CAP_SYS_MODULE", {"delete_module", "init_module", "finit_module"}},
    {"CAP_SYS_PACCT", {"acct"}},
    {"CAP_SYS_PTRACE",
     {"kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace",
      "userfaultfd"}},
    {"CAP_SYS_RAWIO", {"iopl", "ioperm"}},
    {"CAP_SYS_TIME", {"settimeofday", "stime", "clock_settime", "clock_settime64"}},
    {"CAP_SYS_TTY_CONFIG", {"vhangup"}},
    {"CAP_SYS_NICE", {"get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"}},
    {"CAP_SYSLOG", {"syslog"}},
    {"CAP_BPF", {"bpf"}},
    {"CAP_PERFMON", {"perf_event_open"}},
};

// CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
// CLONE_NEWNET: the flags that create namespaces.
constexpr unsigned long kNamespaceFlags = 0x7E020000;
constexpr int kAfVsock = 40;
constexpr int kEnosys = 38;

json names(std::initializer_list<const char*> list) {
  json out = json::array();
  for (const char* n : list) out.push_back(n);
  return out;
}

json allow(std::initializer_list<const char*> list) {
  return {{"names", names(list)}, {"action", "SCMP_ACT_ALLOW"}};
}

// `rule` with the members of `extra` added (args, includes, excludes).
json with(json rule, const json& extra) {
  rule.update(extra);
  return rule;
}

json arg(int index, unsigned long value, const char* op, unsigned long value_two = 0) {
  return {{"index", index}, {"value", value}, {"valueTwo", value_two}, {"op", op}};
}

json make_profile() {
  json syscalls = json::array();
  syscalls.push_back(allow(kAllowed));
  // Since 4.8 seccomp runs after ptrace, so a traced child cannot escape its filter: ptrace is
  // then no more dangerous than the process's own calls.
  syscalls.push_back(with(allow({"process_vm_readv", "process_vm_writev", "ptrace"}),
                          {{"includes", {{"minKernel", "4.8"}}}}));
  syscalls.push_back(with(allow({"socket"}), {{"args", {arg(0, kAfVsock, "SCMP_CMP_NE")}}}));
  for (unsigned long persona : {0x0UL, 0x8UL, 0x20000UL, 0x20008UL, 0xffffffffUL}) {
    syscalls.push_back(with(allow({"personality"}), {{"args", {arg(0, persona, "SCMP_CMP_EQ")}}}));
  }
  syscalls.push_back(with(allow({"arch_prctl", "modify_ldt"}),
                          {{"includes", {{"arches", {"amd64", "x32", "x86"}}}}}));
  syscalls.push_back(with(allow({"arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2",
                                 "breakpoint", "cacheflush", "set_tls"}),
                          {{"includes", {{"arches", {"arm", "arm64"}}}}}));
  for (const auto& group : kByCapability) {
    syscalls.push_back(with(allow(group.names), {{"includes", {{"caps", {group.capability}}}}}));
  }
  // Without CAP_SYS_ADMIN: clone without namespace flags (s390 passes the flags second).
  syscalls.push_back(
      with(allow({"clone"}),
           {{"args", {arg(0, 0, "SCMP_CMP_MASKED_EQ", kNamespaceFlags)}},
            {"excludes", {{"caps", {"CAP_SYS_ADMIN"}}, {"arches", {"s390", "s390x"}}}}}));
  syscalls.push_back(
      with(allow({"clone"}), {{"args", {arg(1, 0, "SCMP_CMP_MASKED_EQ", kNamespaceFlags)}},
                              {"includes", {{"arches", {"s390", "s390x"}}}},
                              {"excludes", {{"caps", {"CAP_SYS_ADMIN"}}}}}));
  syscalls.push_back({{"names", {"clone3"}},
                      {"action", "SCMP_ACT_ERRNO"},
                      {"errnoRet", kEnosys},
                      {"excludes", {{"caps", {"CAP_SYS_ADMIN"}}}}});
  syscalls.push_back(with(allow({"clone3"}), {{"includes", {{"caps", {"CAP_SYS_ADMIN"}}}}}));

  json arch_map = json::array({
      {{"architecture", "SCMP_ARCH_X86_64"},
       {"subArchitectures", {"SCMP_ARCH_X86", "SCMP_ARCH_X32"}}},
      {{"architecture", "SCMP_ARCH_AARCH64"}, {"subArchitectures", {"SCMP_ARCH_ARM"}}},
      {{"architecture", "SCMP_ARCH_PPC64LE"},
       {"subArchitectures", {"SCMP_ARCH_PPC64", "SCMP_ARCH_PPC"}}},
      {{"architecture", "SCMP_ARCH_S390X"}, {"subArchitectures", {"SCMP_ARCH_S390"}}},
      {{"architecture", "SCMP_ARCH_RISCV64"}, {"subArchitectures", json::array()}},
  });
  return {{"defaultAction", "SCMP_ACT_ERRNO"},
          {"defaultErrnoRet", 1},  // EPERM
          {"archMap", std::move(arch_map)},
          {"syscalls", std::move(syscalls)}};
}

}  // namespace

const json& builtin_seccomp_profile() {
  static const json profile = make_profile();
  return profile;
}

}  // namespace berth::engine
