"""The C programs' helper functions, as text: written into a program when a step needs them.

Why a module of their own: they are C, not Python; c.py writes the steps that call them.
"""

from __future__ import annotations

C_HELPERS: dict[str, str] = {
    "errname": "",  # built from C_ERRNOS in assemble()
    "show": r'''
/* Bytes in double quotes with C escapes, the way sockplay prints received data. */
void show(const unsigned char *p, long n)
{
    putchar('"');
    for (long i = 0; i < n; i++) {
        unsigned char c = p[i];
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c == '\n')
            printf("\\n");
        else if (c == '\r')
            printf("\\r");
        else if (c == '\t')
            printf("\\t");
        else if (c >= 0x20 && c < 0x7f)
            putchar(c);
        else
            printf("\\x%02x", c);
    }
    putchar('"');
}

/* The same text in a string, for expect messages (long data is cut after 1024 bytes). */
const char *shown(const unsigned char *p, long n)
{
    static char out[1024 * 4 + 8];
    size_t k = 0;
    out[k++] = '"';
    for (long i = 0; i < n && i < 1024; i++) {
        unsigned char c = p[i];
        if (c == '"' || c == '\\')
            k += sprintf(out + k, "\\%c", c);
        else if (c == '\n')
            k += sprintf(out + k, "\\n");
        else if (c == '\r')
            k += sprintf(out + k, "\\r");
        else if (c == '\t')
            k += sprintf(out + k, "\\t");
        else if (c >= 0x20 && c < 0x7f)
            out[k++] = c;
        else
            k += sprintf(out + k, "\\x%02x", c);
    }
    snprintf(out + k, sizeof out - k, n > 1024 ? "...\"" : "\"");
    return out;
}
''',
    "result": r'''
/* What the last call returned, for the expect checks that follow it. */
long last_ret;
int last_err; /* errno of the last call, 0 when it succeeded */
const unsigned char *last_data;
long last_len = -1; /* -1: the last call returned no data */

/* Print one call's result as "what -> ret ..." (or "what -> -1 ENAME") and keep it for expect. */
void result(const char *what, long ret, int err, const unsigned char *data, long len, const char *extra)
{
    last_ret = ret;
    last_err = ret < 0 ? err : 0;
    last_data = data;
    last_len = ret < 0 || !data ? -1 : len;
    last_valued = 0;
    if (ret < 0) {
        printf("%s -> -1 %s\n", what, errname(err));
        fflush(stdout);
        return;
    }
    printf("%s -> %ld", what, ret);
    if (data) {
        putchar(' ');
        show(data, len);
    }
    if (extra && *extra)
        printf(" %s", extra);
    putchar('\n');
    fflush(stdout);
}

/* An expect line of the script: stop with status 1 when it does not hold. */
void expect(int line, const char *text, int ok, const char *actual)
{
    if (ok) {
        printf("  ok: %s\n", text);
        fflush(stdout);
        return;
    }
    printf("EXPECT FAILED at line %d: %s (got %s)\n", line, text, actual);
    exit(1);
}
''',
    "values": r'''
/* The value of the last call that had one (getsockopt, ioctl, ...), by its shape. */
int last_valued;
long long last_int;
int last_pair[2];
double last_real;
char last_text[256];
''',
    "addr_of": r'''
/* A socket's name used as an address means its local address (ephemeral ports included). */
socklen_t addr_of(int other, int family, struct sockaddr_storage *ss)
{
    socklen_t len = sizeof *ss;
    memset(ss, 0, sizeof *ss);
    if (other >= 0 && other < MAX_FD && local_len[other]) {
        len = local_len[other];
        memcpy(ss, &local_addr[other], sizeof *ss);
    } else {
        if (getsockname(other, (struct sockaddr *)ss, &len) < 0)
            return 0;
        if (other >= 0 && other < MAX_FD && is_bound[other]) {
            memcpy(&local_addr[other], ss, sizeof *ss);
            local_len[other] = len;
        }
    }
    if (family == AF_INET6 && ss->ss_family == AF_INET) {
        struct sockaddr_in v4 = *(struct sockaddr_in *)ss;
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
        memset(ss, 0, sizeof *ss);
        v6->sin6_family = AF_INET6;
        v6->sin6_port = v4.sin_port;
        v6->sin6_addr.s6_addr[10] = 0xff;
        v6->sin6_addr.s6_addr[11] = 0xff;
        memcpy(&v6->sin6_addr.s6_addr[12], &v4.sin_addr, 4);
        return sizeof *v6;
    }
    if (ss->ss_family == AF_INET && ((struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY))
        ((struct sockaddr_in *)ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (ss->ss_family == AF_INET6 && IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)ss)->sin6_addr))
        ((struct sockaddr_in6 *)ss)->sin6_addr = in6addr_loopback;
    return len;
}
''',
    "sa_in": r'''
/* An IPv4 address and port as a sockaddr. */
socklen_t sa_in(struct sockaddr_storage *ss, const char *host, int port)
{
    struct sockaddr_in *sin = (struct sockaddr_in *)ss;
    memset(ss, 0, sizeof *ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    inet_pton(AF_INET, host, &sin->sin_addr);
    return sizeof *sin;
}
''',
    "sa_in6": r'''
/* An IPv6 address, port and scope as a sockaddr. */
socklen_t sa_in6(struct sockaddr_storage *ss, const char *host, int port, unsigned scope)
{
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
    memset(ss, 0, sizeof *ss);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    sin6->sin6_scope_id = scope;
    inet_pton(AF_INET6, host, &sin6->sin6_addr);
    return sizeof *sin6;
}
''',
    "sa_un": r'''
/* A unix address: a path, or (abstract) a name starting with a NUL byte. */
socklen_t sa_un(struct sockaddr_storage *ss, const char *path, size_t len)
{
    struct sockaddr_un *sun = (struct sockaddr_un *)ss;
    memset(ss, 0, sizeof *ss);
    sun->sun_family = AF_UNIX;
    if (len > sizeof sun->sun_path)
        len = sizeof sun->sun_path;
    memcpy(sun->sun_path, path, len);
    return offsetof(struct sockaddr_un, sun_path) + len + (path[0] ? 1 : 0);
}
''',
    "fmt_addr": r'''
/* Address text as sockplay shows it: 127.0.0.1:80, [::1]:80, ./path, @abstract. Keeps errno. */
const char *fmt_addr(const struct sockaddr_storage *ss, socklen_t len)
{
    static char out[160];
    char host[INET6_ADDRSTRLEN];
    int saved = errno;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
        snprintf(out, sizeof out, "%s:%d", host, ntohs(sin->sin_port));
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
        snprintf(out, sizeof out, "[%s]:%d", host, ntohs(sin6->sin6_port));
    } else if (ss->ss_family == AF_UNIX) {
        const struct sockaddr_un *sun = (const struct sockaddr_un *)ss;
        long n = (long)len - (long)offsetof(struct sockaddr_un, sun_path);
        if (n <= 0)
            snprintf(out, sizeof out, "(unnamed)");
        else if (sun->sun_path[0] == '\0')
            snprintf(out, sizeof out, "@%.*s", (int)(n - 1), sun->sun_path + 1);
        else
            snprintf(out, sizeof out, "%.*s", (int)strnlen(sun->sun_path, n), sun->sun_path);
    } else {
        snprintf(out, sizeof out, "(family %d)", ss->ss_family);
    }
    errno = saved;
    return out;
}
''',
    "set_timeo": r'''
/* timeout=MS is the kernel's own: SO_RCVTIMEO/SO_SNDTIMEO set for one call, then put back (as sockplay
 * does). Keeps errno, so the call's own error is still there to read. */
void set_timeo(int fd, int option, long sec, long usec)
{
    struct timeval tv = {sec, usec};
    int saved = errno;
    setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv);
    errno = saved;
}
''',
    "open_sockets": r'''
/* The sockets open now, in sockplay's order: when a script ends (or an expect fails) the ones still
 * open are closed, one close each, in this order (atexit), as sockplay does. */
int open_fds[4096];
int n_open;

/* Each socket's local address, by fd, remembered as sockplay does: naming a socket as an address costs
 * a getsockname only while its address is not known, and a bind to port 0 asks the kernel once, right after. */
#define MAX_FD 4096
struct sockaddr_storage local_addr[MAX_FD];
socklen_t local_len[MAX_FD]; /* 0: not known */
char is_bound[MAX_FD];

void forget(int fd)
{
    if (fd >= 0 && fd < MAX_FD) {
        local_len[fd] = 0;
        is_bound[fd] = 0;
    }
}

void mark_bound(int fd, int ok)
{
    if (ok && fd >= 0 && fd < MAX_FD)
        is_bound[fd] = 1;
}

/* After a bind that worked: remember the address, or (port 0) ask the kernel which port it picked. Keeps errno. */
void after_bind(int fd, int ok, const struct sockaddr_storage *ss, socklen_t len)
{
    int saved = errno;
    if (!ok || fd < 0 || fd >= MAX_FD)
        return;
    is_bound[fd] = 1;
    if ((ss->ss_family == AF_INET && ((const struct sockaddr_in *)ss)->sin_port == 0)
        || (ss->ss_family == AF_INET6 && ((const struct sockaddr_in6 *)ss)->sin6_port == 0)) {
        socklen_t got = sizeof local_addr[fd];
        if (getsockname(fd, (struct sockaddr *)&local_addr[fd], &got) == 0)
            local_len[fd] = got;
    } else if (ss->ss_family == AF_INET || ss->ss_family == AF_INET6 || ss->ss_family == AF_UNIX) {
        memcpy(&local_addr[fd], ss, sizeof *ss);
        local_len[fd] = len;
    }
    errno = saved;
}

void track(int fd)
{
    forget(fd);
    if (fd >= 0 && n_open < (int)(sizeof open_fds / sizeof open_fds[0]))
        open_fds[n_open++] = fd;
}

void untrack(int fd)
{
    forget(fd);
    for (int i = 0; i < n_open; i++)
        if (open_fds[i] == fd) {
            memmove(open_fds + i, open_fds + i + 1, (n_open - i - 1) * sizeof open_fds[0]);
            n_open--;
            return;
        }
}

void close_all(void)
{
    for (int i = 0; i < n_open; i++)
        close(open_fds[i]);
    n_open = 0;
}
''',
    "pollbits": r'''
#define POLL_ALL (POLLIN | POLLPRI | POLLOUT | POLLERR | POLLHUP | POLLRDHUP)

/* POLLIN|POLLOUT for a revents value, 0 for none. */
const char *pollbits(int revents, char *out, size_t size)
{
    static const struct { int bit; const char *name; } names[] = {
        {POLLIN, "POLLIN"}, {POLLPRI, "POLLPRI"}, {POLLOUT, "POLLOUT"}, {POLLERR, "POLLERR"},
        {POLLHUP, "POLLHUP"}, {POLLNVAL, "POLLNVAL"}, {POLLRDHUP, "POLLRDHUP"},
    };
    out[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (revents & names[i].bit)
            snprintf(out + strlen(out), size - strlen(out), "%s%s", out[0] ? "|" : "", names[i].name);
    if (!out[0])
        snprintf(out, size, "0");
    return out;
}
''',
    "ready": r'''
/* expect ready: poll for up to 1 s until all the bits are there. */
void expect_ready(int line, const char *text, int fd, int bits)
{
    struct pollfd p = {fd, POLL_ALL, 0};
    char names[128];
    for (int waited = 0;; waited += 10) {
        p.revents = 0;
        poll(&p, 1, 0);
        if ((p.revents & bits) == bits || waited >= 1000)
            break;
        poll(NULL, 0, 10);
    }
    expect(line, text, (p.revents & bits) == bits, pollbits(p.revents, names, sizeof names));
}
''',
    "msgflags": r'''
int last_flags;

/* The flags recvmsg returned in msg_flags, by name. */
const char *msgflags(int bits)
{
    static char out[128];
    static const struct { int bit; const char *name; } names[] = {
        {MSG_OOB, "MSG_OOB"}, {MSG_CTRUNC, "MSG_CTRUNC"}, {MSG_TRUNC, "MSG_TRUNC"}, {MSG_EOR, "MSG_EOR"},
        {MSG_ERRQUEUE, "MSG_ERRQUEUE"}, {MSG_CMSG_CLOEXEC, "MSG_CMSG_CLOEXEC"},
    };
    out[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (bits & names[i].bit)
            snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", out[0] ? "|" : "", names[i].name);
    return out;
}
''',
    "show_cmsgs": "",  # built from CMSGS in assemble()
    "sleep_ms": r'''
void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}
''',
    "sysctl_read": r'''
/* Read one /proc/sys/net/core value as text (sysctl in sockplay). */
long sysctl_read(const char *path, char *out, size_t size)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    if (!fgets(out, (int)size, f))
        out[0] = '\0';
    fclose(f);
    out[strcspn(out, "\n")] = '\0';
    return 0;
}
''',
    "signals": r'''
/* SIGIO and SIGURG would end (or be lost to) a program that does not catch them: print them. */
static volatile sig_atomic_t sig_arrived[2]; /* SIGIO, SIGURG */
static int sig_counted[2];

void on_signal(int sig)
{
    const char *m = sig == SIGIO ? "signal SIGIO\n" : "signal SIGURG\n";
    sig_arrived[sig == SIGIO ? 0 : 1]++;
    if (write(1, m, strlen(m)) < 0)
        return;
}

/* 1 once a signal arrived that no earlier check counted (waits up to a second). */
int wait_signal(int which)
{
    for (int i = 0; i < 100 && sig_arrived[which] <= sig_counted[which]; i++)
        usleep(10000);
    int ok = sig_arrived[which] > sig_counted[which];
    sig_counted[which] = sig_arrived[which];
    return ok;
}
''',
}
C_ORDER = ["errname", "show", "values", "result", "open_sockets", "addr_of", "sa_in", "sa_in6", "sa_un", "fmt_addr",
           "set_timeo", "pollbits", "ready", "msgflags", "show_cmsgs", "sleep_ms", "sysctl_read", "signals"]
