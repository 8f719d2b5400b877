/*
 * hk.h - private to the hosted kernel process.
 *
 * The hosted kernel is one supervising process: a thread per used core runs
 * that core's scheduler (core.c), each shard is a child process (proc.c),
 * deaths are noticed through pidfds by the owning core's thread (fault.c),
 * and the main thread waits for the end and reports (main.c). Everything
 * below, and the kernel core's state in hk_kernel, is guarded by hk_lock
 * (the one kernel lock of port.h).
 */
#ifndef VN_HK_H
#define VN_HK_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include "hosted.h"
#include "kernel.h"

struct hk_shard {
	struct vn_shard *s;
	struct vn_ctl *ctl; /* the kernel's mapping of the control page */
	int ctl_fd;
	int out[2];         /* its standard output and error: a pipe (console.c) */
	pid_t pid;          /* 0: no process */
	int pidfd;          /* -1: no process */
	int16_t chan_of_bit[64]; /* endpoint bit -> channel id, or -1 */
	uint64_t rings;          /* the endpoint bits of channels with a ring */
	char kfault[160];   /* why the kernel stopped it, if it did (a bad MMIO call) */
	int heap_fd;        /* -1, or its heap's memfd when a device of it does DMA or
			       it may reload others (port_shard_view reads it) */
	uint8_t *heap;      /* the kernel's mapping of that heap */
	/* While its death is being handled (fault.c): the shard's crash record,
	 * if the host agrees it is about this death, and the cause in words. */
	const struct vn_crash *crash;
	char cause[96];
	uint64_t kill_at;   /* port_now() to SIGKILL it at, once SIGXCPU was sent; 0: none */
	/* Its process's CPU-time clock, and that clock's reading when it last
	 * gave up its core (HK_ON_CORE while it holds it, or before its first
	 * call): what it runs off its core counts against its watchdog. */
	clockid_t cpu_clock;
	uint64_t cpu_off;
	/* The sealed copy of the image it runs (proc.c: exec_copy), made at its
	 * first start, so a restart runs the bytes the kernel checked and
	 * started before: an O_PATH descriptor, or -1 (none yet: the next start
	 * copies the build's shards/<name>); and FNV-1a 64 of those bytes
	 * (crash dumps). Hot reload (reload.c) stages an image as a sealed copy
	 * of the very bytes it checked (staged_fd), and keeps the copy it ran
	 * before the reload for a rollback (prev_fd, -1: the build's own, not
	 * copied yet; has_prev: there is one). */
	int run_fd, prev_fd, staged_fd;
	uint64_t image_hash, prev_hash, staged_hash;
	bool has_prev;
};

/* This host's ELF machine: what a shard's executable is built for. */
#if defined(__x86_64__)
#define HK_MACHINE 62u  /* EM_X86_64 */
#elif defined(__aarch64__)
#define HK_MACHINE 183u /* EM_AARCH64 */
#elif defined(__riscv)
#define HK_MACHINE 243u /* EM_RISCV */
#else
#error "hosted port: add this host's ELF machine"
#endif

/* A shard's image slot: its executable is linked at its base and must end
 * below base + this (generator/model.py: IMAGE_SIZE). */
#define HK_IMAGE_SLOT 0x600000u

/* A reload's executable of len bytes at img (elf_check.c): VN_RELOAD_OK,
 * its interface hash in *iface, if every loadable segment lies in
 * [lo, hi); else why not (VN_RELOAD_IMAGE, _ISA, _SIZE). */
uint32_t hk_elf_check(const uint8_t *img, uint64_t len, uint64_t lo, uint64_t hi,
		      uint64_t *iface);

/* How long a shard its watchdog stopped has to save its crash record. */
#define HK_DUMP_GRACE_NS 100000000ull

struct hk_core {
	uint32_t id;
	int cpu;            /* host CPU the thread and its shards are pinned to */
	int doorbell;       /* a pipe's read end: a shard posted a call or a
			       notification, or a kick, into ... */
	int bell;           /* ... its write end, which is all shards get */
	/* shards with a channel into a shard of this core, a bit each */
	uint64_t senders[VN_MAX_SHARDS / 64u];
	pthread_t thread;
	uint64_t off_check; /* port_now() of the next look at its shards off core */
	struct vn_shard *leaver; /* gave the core up in this step (core.c: left_core) */
	/* Its parked shard, if any (core.c, "Parking"): since when, and the
	 * endpoints whose flags it sleeps on. */
	struct vn_shard *parked;
	uint64_t parked_at;
	uint64_t armed;
	bool unclaimed; /* the last look found a flag of the parked shard woken
			   with news, and the shard not claimed (look_parked) */
};

#define HK_ON_CORE UINT64_MAX /* hk_shard.cpu_off: not measured off its core */
#define HK_LEFT (UINT64_MAX - 1) /* hk_shard.cpu_off: to be measured (left_core) */
#define HK_NO_CLOCK ((clockid_t)-1) /* hk_shard.cpu_clock: none */
/* What a shard without a watchdog may run after giving its core up (core.c:
 * off_core_budget): a shard that sleeps on its turn word runs microseconds. */
#define HK_OFF_CORE_NS 100000000ull
/* When a parked shard's CPU is first read (core.c: left_core). */
#define HK_PARK_LOOK_NS 1000000ull

struct hk_chan {
	struct vn_ring *ring; /* the kernel's mapping */
	int fd;
};

/* A buffer pool: the kernel maps it for its shards' devices (DMA). */
struct hk_pool {
	uint8_t *map;         /* the kernel's mapping */
	int fd;               /* read-write */
	int fd_ro;            /* the same memory, opened read-only */
};

extern struct vn_kernel hk_kernel;
extern pthread_mutex_t hk_lock;
extern struct hk_shard hk_shards[VN_MAX_SHARDS];
extern struct hk_core hk_cores[VN_MAX_CORES];
/* Each channel takes a notification bit in two shards, which have 64 each. */
#define HK_MAX_CHANNELS VN_OBS_MAX_CHANNELS
extern struct hk_chan hk_chans[HK_MAX_CHANNELS];
extern struct hk_pool hk_pools[VN_MAX_POOLS];
extern char hk_dir[];
extern int hk_done_fd;
extern bool hk_quiet;
bool hk_notifications_in_flight(void); /* main.c */

/* console.c */
void hk_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void hk_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int hk_relay_create(struct hk_shard *h);
int hk_relay_start(void);
void hk_relay_drain(const struct hk_shard *h);
void hk_console_out(const char *text, size_t len);
void hk_console_flush(void);
void hk_stats(void);
void hk_report_stuck(void);

/* proc.c */
int hk_memfd(const char *name, uint64_t size, void **map);
int hk_channels_create(void);
int hk_pools_create(void);
int hk_ctl_create(struct hk_shard *h);
void hk_ctl_reset(struct hk_shard *h);
int hk_spawn(struct hk_shard *h);
void hk_kill(struct hk_shard *h);
int hk_exec_bytes(const struct hk_shard *h, const uint8_t *img, uint64_t len, const char *what,
		  uint64_t *hash);

/* core.c */
int hk_cores_prepare(void);
int hk_cores_start(void);
void hk_eventfd_ring(int fd);
bool hk_collect(struct hk_shard *h, uint32_t here);
void hk_unpark(const struct hk_shard *h);
bool hk_park_woken(void);
bool hk_round_defers_event(void);

/* obs.c */
extern struct vn_obs hk_obs;
uint64_t hk_clock_hz(void);
void hk_obs_start(void);
void hk_obs_end(void);
int hk_write_fd(void *ctx, const void *p, uint64_t len);
void hk_reply(int fd, const char *line);

/* reload.c */
bool hk_image_fits(const struct hk_shard *h, int fd, const char *path);
void hk_reload_serve(int c, const char *args);

/* crashdump.c */
uint64_t hk_image_hash(int fd);

/* fault.c */
void hk_reap(struct hk_shard *h);
const char *hk_code_name(int signo, int code);
uint64_t hk_kill_due(uint32_t core, uint64_t now);
const char *hk_signame(int signo);

static inline struct hk_shard *hk_of(const struct vn_shard *s)
{
	return &hk_shards[s->cfg->id];
}

#endif /* VN_HK_H */
