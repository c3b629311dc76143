// A neutral load generator for the echo benchmark: one thread, epoll, N
// connections each doing M request/response round trips (send a message, read
// back every byte of its echo, check it, send the next). Prints
//   messages/s  p50 µs  p99 µs
// as one line: "<msgs_per_s> <p50_us> <p99_us> <total_messages> <seconds>".
// Usage: client PORT [CONNECTIONS=100] [MESSAGES=200] [SIZE=64]
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    int fd, sent_msgs, got;   // messages completed, bytes of the current echo received
    double t0;                // when the current message was sent
    int connected;
} Conn;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static char *msg, *buf;
static int size;

static void send_msg(Conn *c) {
    int off = 0;
    // Messages are small: the socket buffer takes them whole.
    while (off < size) {
        ssize_t n = send(c->fd, msg + off, size - off, MSG_NOSIGNAL);
        if (n < 0) { if (errno == EINTR || errno == EAGAIN) continue; perror("send"); exit(1); }
        off += n;
    }
    c->t0 = now();
    c->got = 0;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: client PORT [CONNECTIONS] [MESSAGES] [SIZE]\n"); return 2; }
    int port = atoi(argv[1]);
    int nconn = argc > 2 ? atoi(argv[2]) : 100;
    int nmsg = argc > 3 ? atoi(argv[3]) : 200;
    size = argc > 4 ? atoi(argv[4]) : 64;
    msg = malloc(size);
    buf = malloc(65536);
    for (int i = 0; i < size; i++) msg[i] = 'a' + i % 26;
    double *lat = malloc(sizeof(double) * (size_t)nconn * nmsg);
    long nlat = 0;
    Conn *cs = calloc(nconn, sizeof(Conn));
    int ep = epoll_create1(0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);

    // Connect everything first (blocking connects), then start the clock.
    for (int i = 0; i < nconn; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) { perror("connect"); return 1; }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        cs[i].fd = fd;
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
    double start = now();
    for (int i = 0; i < nconn; i++) send_msg(&cs[i]);
    int active = nconn;
    struct epoll_event evs[256];
    while (active > 0) {
        int n = epoll_wait(ep, evs, 256, 10000);
        if (n == 0) { fprintf(stderr, "client: no progress for 10 s\n"); return 1; }
        for (int k = 0; k < n; k++) {
            Conn *c = &cs[evs[k].data.u32];
            ssize_t r = recv(c->fd, buf, 65536, 0);
            if (r < 0) { if (errno == EINTR || errno == EAGAIN) continue; perror("recv"); return 1; }
            if (r == 0) { fprintf(stderr, "client: server closed a connection\n"); return 1; }
            if (memcmp(buf, msg + c->got, r) != 0) { fprintf(stderr, "client: wrong echo\n"); return 1; }
            c->got += r;
            if (c->got < size) continue;
            lat[nlat++] = now() - c->t0;
            if (++c->sent_msgs == nmsg) {
                close(c->fd);
                active--;
            } else {
                send_msg(c);
            }
        }
    }
    double secs = now() - start;
    qsort(lat, nlat, sizeof(double), cmp);
    printf("%.0f %.0f %.0f %ld %.3f\n", nlat / secs, lat[nlat / 2] * 1e6,
           lat[(long)(nlat * 0.99)] * 1e6, nlat, secs);
    return 0;
}
