/*
 * peercred: the credentials of a Unix socket's peer, as the kernel recorded
 * them when the connection was made (getsockopt SO_PEERCRED, Linux).
 *
 *   peerCredentials(fd: number) -> { pid: number, uid: number, gid: number }
 *   peerPidfd(fd: number) -> number      a pidfd of the very process that connected
 *                                        (SO_PEERPIDFD, Linux 6.5+), or -1 where the
 *                                        kernel lacks it
 *   pidfdOpen(pid: number) -> number     pidfd_open(2): a pidfd of whatever process has
 *                                        that pid now (the fallback; racy by nature)
 *   pidfdAlive(pidfd: number) -> boolean whether the process has not exited (poll(2):
 *                                        a pidfd turns readable when it exits); while it
 *                                        has not, its pid cannot be given to another
 *   pidfdSendSignal(pidfd, signal)       pidfd_send_signal(2)
 *   flockExclusive(fd: number) -> boolean flock(fd, LOCK_EX | LOCK_NB): true when this open
 *                                        file now holds the lock, false when another does
 *                                        (EWOULDBLOCK). The kernel drops it when the file
 *                                        is closed or the process ends, SIGKILL included.
 *
 * The caller closes a pidfd with fs.closeSync.
 *
 * Throws a TypeError for a non-integer fd and an Error (with .code set to the
 * errno name) when getsockopt fails: a closed fd, a socket of another family.
 * Only Linux is supported; elsewhere the module still loads but every call
 * throws ENOSYS, so a daemon refuses to start rather than guess.
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <errno.h>
#include <string.h>
#include <stdio.h>
#ifdef __linux__
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/syscall.h>
#include <poll.h>
#include <sys/file.h>
#include <unistd.h>
#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#endif

static napi_value throw_errno(napi_env env, int err, const char *what) {
  char message[160];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  const char *code = err == ESRCH ? "ESRCH" : err == EPERM ? "EPERM" : err == EBADF ? "EBADF" : err == ENOTSOCK ? "ENOTSOCK" : err == ENOPROTOOPT ? "ENOPROTOOPT"
                   : err == EINVAL ? "EINVAL" : err == ENOSYS ? "ENOSYS" : "EUNKNOWN";
  napi_throw_error(env, code, message);
  return NULL;
}

static napi_value set_number(napi_env env, napi_value obj, const char *name, double v) {
  napi_value n;
  if (napi_create_double(env, v, &n) != napi_ok) return NULL;
  if (napi_set_named_property(env, obj, name, n) != napi_ok) return NULL;
  return obj;
}

/* The one argument, a non-negative integer; -1 (with a TypeError thrown) otherwise. */
static int int_arg(napi_env env, napi_callback_info info, const char *message) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return -1;
  napi_valuetype type = napi_undefined;
  double d = -1;
  if (argc < 1 || napi_typeof(env, argv[0], &type) != napi_ok || type != napi_number ||
      napi_get_value_double(env, argv[0], &d) != napi_ok || !(d >= 0 && d <= 2147483647.0) || d != (double)(int)d) {
    napi_throw_type_error(env, NULL, message);
    return -1;
  }
  return (int)d;
}

static napi_value int_value(napi_env env, int v) {
  napi_value n;
  return napi_create_int32(env, v, &n) == napi_ok ? n : NULL;
}

static napi_value peer_credentials(napi_env env, napi_callback_info info) {
  int fd = int_arg(env, info, "peerCredentials(fd): fd must be a non-negative integer");
  if (fd < 0) return NULL;
#ifdef __linux__
  struct ucred cred;
  socklen_t len = sizeof cred;
  memset(&cred, 0, sizeof cred);
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return throw_errno(env, errno, "getsockopt(SO_PEERCRED)");
  if (len != sizeof cred) return throw_errno(env, EINVAL, "getsockopt(SO_PEERCRED) answered a short struct");
  napi_value obj;
  if (napi_create_object(env, &obj) != napi_ok) return NULL;
  if (!set_number(env, obj, "pid", (double)cred.pid)) return NULL;
  if (!set_number(env, obj, "uid", (double)cred.uid)) return NULL;
  if (!set_number(env, obj, "gid", (double)cred.gid)) return NULL;
  return obj;
#else
  (void)fd;
  return throw_errno(env, ENOSYS, "getsockopt(SO_PEERCRED)");
#endif
}

static napi_value peer_pidfd(napi_env env, napi_callback_info info) {
  int fd = int_arg(env, info, "peerPidfd(fd): fd must be a non-negative integer");
  if (fd < 0) return NULL;
#ifdef __linux__
  int pidfd = -1;
  socklen_t len = sizeof pidfd;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &len) != 0) {
    if (errno == ENOPROTOOPT) return int_value(env, -1);
    return throw_errno(env, errno, "getsockopt(SO_PEERPIDFD)");
  }
  return int_value(env, pidfd);
#else
  return int_value(env, -1);
#endif
}

static napi_value pidfd_open_js(napi_env env, napi_callback_info info) {
  int pid = int_arg(env, info, "pidfdOpen(pid): pid must be a non-negative integer");
  if (pid < 0) return NULL;
#ifdef __linux__
  long pidfd = syscall(SYS_pidfd_open, (pid_t)pid, 0);
  if (pidfd < 0) return throw_errno(env, errno, "pidfd_open");
  return int_value(env, (int)pidfd);
#else
  return throw_errno(env, ENOSYS, "pidfd_open");
#endif
}

static napi_value pidfd_alive(napi_env env, napi_callback_info info) {
  int pidfd = int_arg(env, info, "pidfdAlive(pidfd): pidfd must be a non-negative integer");
  if (pidfd < 0) return NULL;
#ifdef __linux__
  struct pollfd p = { .fd = pidfd, .events = POLLIN, .revents = 0 };
  int n;
  do n = poll(&p, 1, 0); while (n < 0 && errno == EINTR);
  if (n < 0) return throw_errno(env, errno, "poll(pidfd)");
  if (p.revents & POLLNVAL) return throw_errno(env, EBADF, "poll(pidfd)");
  napi_value b;
  return napi_get_boolean(env, n == 0, &b) == napi_ok ? b : NULL;
#else
  return throw_errno(env, ENOSYS, "poll(pidfd)");
#endif
}

/* pidfdSendSignal(pidfd, signal): the signal to the pidfd's process, never to a later process given its pid. */
static napi_value pidfd_send_signal_js(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  int32_t fd = -1, sig = -1;
  napi_valuetype t0 = napi_undefined, t1 = napi_undefined;
  if (argc < 2 || napi_typeof(env, argv[0], &t0) != napi_ok || t0 != napi_number || napi_typeof(env, argv[1], &t1) != napi_ok || t1 != napi_number ||
      napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_int32(env, argv[1], &sig) != napi_ok || fd < 0 || sig < 1 || sig > 64) {
    napi_throw_type_error(env, NULL, "pidfdSendSignal(pidfd, signal): a pidfd and a signal number");
    return NULL;
  }
#ifdef __linux__
  if (syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0) != 0) return throw_errno(env, errno, "pidfd_send_signal");
  napi_value u;
  return napi_get_undefined(env, &u) == napi_ok ? u : NULL;
#else
  return throw_errno(env, ENOSYS, "pidfd_send_signal");
#endif
}

static napi_value flock_exclusive(napi_env env, napi_callback_info info) {
  int fd = int_arg(env, info, "flockExclusive(fd): fd must be a non-negative integer");
  if (fd < 0) return NULL;
#ifdef __linux__
  int r;
  do r = flock(fd, LOCK_EX | LOCK_NB); while (r != 0 && errno == EINTR);
  if (r != 0 && errno != EWOULDBLOCK) return throw_errno(env, errno, "flock");
  napi_value b;
  return napi_get_boolean(env, r == 0, &b) == napi_ok ? b : NULL;
#else
  return throw_errno(env, ENOSYS, "flock");
#endif
}

static int export_fn(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  return napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn) == napi_ok &&
         napi_set_named_property(env, exports, name, fn) == napi_ok;
}

NAPI_MODULE_INIT() {
  if (!export_fn(env, exports, "peerCredentials", peer_credentials)) return NULL;
  if (!export_fn(env, exports, "peerPidfd", peer_pidfd)) return NULL;
  if (!export_fn(env, exports, "pidfdOpen", pidfd_open_js)) return NULL;
  if (!export_fn(env, exports, "pidfdAlive", pidfd_alive)) return NULL;
  if (!export_fn(env, exports, "pidfdSendSignal", pidfd_send_signal_js)) return NULL;
  if (!export_fn(env, exports, "flockExclusive", flock_exclusive)) return NULL;
  return exports;
}
