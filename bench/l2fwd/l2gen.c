/*
 * l2gen - the traffic source and sink of `make bench-l2fwd`.
 *
 *   l2gen send IFACE PPS SECONDS   frames at PPS per second (0: as fast as
 *                                  the socket takes them) for SECONDS
 *   l2gen recv IFACE SECONDS       count frames until SECONDS of quiet
 *                                  after the first, or SECONDS in all
 *
 * Frames are 60 bytes of EtherType 0x88b6, broadcast, carrying a sequence
 * number and the sender's CLOCK_MONOTONIC time (the same clock in every
 * network namespace), so the receiver can count losses and take each
 * frame's latency through the forwarder under test. The receiver prints
 * one line of JSON: frames, rate over the time frames were arriving,
 * lost and reordered, latency percentiles in microseconds.
 *
 * Both sides batch (sendmmsg/recvmmsg, 32 frames); latency is taken when
 * recvmmsg returns, so it includes up to one batch of waiting.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ETHERTYPE 0x88b6
#define FRAME 60
#define BATCH 32
#define MAX_SAMPLES (1u << 22)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int open_socket(const char *ifname, int proto)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(proto)};
	int s = socket(AF_PACKET, SOCK_RAW, 0), big = 16 << 20, one = 1;

	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (s < 0 || sll.sll_ifindex == 0 || bind(s, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
		fprintf(stderr, "l2gen: %s: %s\n", ifname, strerror(errno));
		exit(1);
	}
	setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	setsockopt(s, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	setsockopt(s, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
	return s;
}

static int send_main(const char *ifname, double pps, double seconds)
{
	int s = open_socket(ifname, 0);
	uint8_t frames[BATCH][FRAME];
	struct iovec iov[BATCH];
	struct mmsghdr msgs[BATCH];
	uint64_t seq = 0, start = now_ns(), end = start + (uint64_t)(seconds * 1e9);
	uint64_t sent = 0;

	memset(frames, 0, sizeof(frames));
	for (int i = 0; i < BATCH; i++) {
		memset(frames[i], 0xff, 6);
		memcpy(frames[i] + 6, "\x02\x00\x00\x00\x00\xee", 6);
		frames[i][12] = ETHERTYPE >> 8;
		frames[i][13] = ETHERTYPE & 0xff;
		iov[i] = (struct iovec){.iov_base = frames[i], .iov_len = FRAME};
		msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
	}
	while (now_ns() < end) {
		int n = BATCH, done;

		if (pps > 0) {
			/* Paced: send what is due by now, sleeping (not spinning:
			 * the forwarder under test needs the CPUs) in between. */
			uint64_t t = now_ns(), due = (uint64_t)((double)(t - start) * pps / 1e9);
			struct timespec ts = {0, 20000};

			if (due <= sent) {
				nanosleep(&ts, NULL);
				continue;
			}
			n = due - sent > BATCH ? BATCH : (int)(due - sent);
		}
		for (int i = 0; i < n; i++) {
			uint64_t stamp = now_ns();

			memcpy(frames[i] + 14, &seq, 8);
			memcpy(frames[i] + 22, &stamp, 8);
			seq++;
		}
		done = sendmmsg(s, msgs, (unsigned)n, 0);
		if (done > 0)
			sent += (uint64_t)done;
		seq -= (uint64_t)(n - (done > 0 ? done : 0)); /* unsent numbers are reused */
	}
	printf("{\"sent\": %llu, \"seconds\": %.3f}\n", (unsigned long long)sent,
	       (double)(now_ns() - start) / 1e9);
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int recv_main(const char *ifname, double seconds)
{
	int s = open_socket(ifname, ETHERTYPE);
	static uint8_t bufs[BATCH][2048];
	static uint32_t lat[MAX_SAMPLES];
	struct iovec iov[BATCH];
	struct mmsghdr msgs[BATCH];
	uint64_t frames = 0, first = 0, last = 0, expect = 0, lost = 0, reordered = 0;
	uint64_t deadline = now_ns() + (uint64_t)(seconds * 1e9), nsamp = 0;

	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){.iov_base = bufs[i], .iov_len = sizeof(bufs[i])};
		msgs[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
	}
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		struct pollfd p = {.fd = s, .events = POLLIN};
		uint64_t t = now_ns();
		int n;

		if (t >= deadline || (frames && t - last > 1000000000ull))
			break;
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recvmmsg(s, msgs, BATCH, MSG_DONTWAIT, NULL);
		t = now_ns();
		for (int i = 0; i < n; i++) {
			uint64_t seq, stamp;

			if (msgs[i].msg_len < 30 || bufs[i][12] != (ETHERTYPE >> 8) ||
			    bufs[i][13] != (ETHERTYPE & 0xff))
				continue;
			memcpy(&seq, bufs[i] + 14, 8);
			memcpy(&stamp, bufs[i] + 22, 8);
			if (!frames)
				first = t;
			last = t;
			frames++;
			if (seq > expect)
				lost += seq - expect;
			else if (seq < expect)
				reordered++;
			expect = seq >= expect ? seq + 1 : expect;
			if (nsamp < MAX_SAMPLES && t > stamp)
				lat[nsamp++] = (uint32_t)((t - stamp) / 1000u < UINT32_MAX ?
							  (t - stamp) / 1000u : UINT32_MAX);
		}
	}
	qsort(lat, nsamp, sizeof(lat[0]), cmp_u32);
	printf("{\"frames\": %llu, \"pps\": %.0f, \"lost\": %llu, \"reordered\": %llu, "
	       "\"p50_us\": %u, \"p99_us\": %u}\n",
	       (unsigned long long)frames,
	       frames > 1 ? (double)frames / ((double)(last - first) / 1e9) : 0.0,
	       (unsigned long long)lost, (unsigned long long)reordered,
	       nsamp ? lat[nsamp / 2] : 0, nsamp ? lat[nsamp * 99 / 100] : 0);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "send") == 0)
		return send_main(argv[2], atof(argv[3]), atof(argv[4]));
	if (argc == 4 && strcmp(argv[1], "recv") == 0)
		return recv_main(argv[2], atof(argv[3]));
	fprintf(stderr, "usage: l2gen send IFACE PPS SECONDS | l2gen recv IFACE SECONDS\n");
	return 2;
}
