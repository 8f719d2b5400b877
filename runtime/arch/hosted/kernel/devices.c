/*
 * devices.c - device models: grants, interrupts, the console's input.
 *
 * See dev.h for the shape. Three things happen here:
 *
 *   an access   a shard's MMIO call is served on its core thread (core.c):
 *               the address must lie in a window of a device the shard owns,
 *               else the shard is stopped as a fault, as the MMU would.
 *   an interrupt  after every event that can change a line (an access, a
 *               byte of input, a model's timer), a raised line of an unmasked
 *               interrupt is masked and delivered to the owner as its
 *               notification; IRQ_ACK unmasks it (port_irq_unmask) and looks
 *               again, so a line still high fires again: level-triggered.
 *   input       one thread reads the kernel's standard input into the receive
 *               FIFO of the first UART in the system, never more than the
 *               FIFO holds (the rest waits in the pipe: nothing is lost), and
 *               wakes for the models' timers. On a terminal, input is passed
 *               on as typed (no line editing or echo by the host: the driver
 *               echoes), as QEMU's serial console does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <termios.h>
#include <unistd.h>

#include "dev.h"
#include "hk.h"
#include "port.h"

#define HK_MAX_DEVICES 64u
#define HERE_NONE UINT32_MAX /* not a core thread: always kick the owner's core */
#define HK_HOLD_NS 200000ull /* a core lets a device go this long after its owner's last entry */

static const struct hk_model *const models[] = {&hk_pl011, &hk_ns16550, &hk_pl031,
						&hk_virtio_net};

static struct hk_dev devs[HK_MAX_DEVICES];
static uint32_t n_devs; /* entries of devs that hk_devices_prepare filled in */
static bool any_serve;  /* a model a core may serve (hk_devices_prepare, before the cores) */
static struct {
	char device[64];
	const char *value;
} options[HK_MAX_DEVICES];
static uint32_t n_options;
static struct hk_dev *input_dev;
static int bell = -1;
static bool tty_raw;
static struct termios tty_saved;

static const struct hk_model *model_of(const char *compatible)
{
	for (unsigned i = 0; compatible && i < sizeof(models) / sizeof(models[0]); i++)
		if (strcmp(models[i]->compatible, compatible) == 0)
			return models[i];
	return NULL;
}

/* The line of d may have risen: deliver it if it is not masked. */
static void update(struct hk_dev *d, uint32_t here, uint64_t now)
{
	if (!d->model || d->kd->irq == VN_NO_IRQ || d->masked || !d->model->irq_level(d, now))
		return;
	d->masked = true;
	vn_irq_deliver(&hk_kernel, d->kd->irq, here);
}

int port_irq_unmask(uint32_t irq)
{
	for (uint32_t i = 0; i < hk_kernel.sys->n_devices; i++) {
		struct hk_dev *d = &devs[i];

		if (d->kd->irq != irq || !d->model)
			continue;
		d->masked = false;
		update(d, HERE_NONE, port_now());
		return 0;
	}
	return -1;
}

int hk_mmio(struct vn_shard *s, uint32_t here, uint64_t a0, uint64_t value, uint64_t *out,
	    char *why, unsigned why_len)
{
	uint64_t addr = VN_MMIO_ADDR(a0);
	uint32_t bytes = VN_MMIO_BYTES(a0);
	bool write = VN_MMIO_WRITE(a0);
	const struct vn_kdevice *kd = VN_MMIO_BAD(a0) ? NULL :
				      vn_device_at(&hk_kernel, s, addr, bytes);
	struct hk_dev *d;

	if (!kd) {
		snprintf(why, why_len, "device %s of %u bytes at 0x%llx, outside its devices",
			 write ? "write" : "read", bytes, (unsigned long long)addr);
		return -1;
	}
	d = &devs[kd - hk_kernel.sys->devices];
	if (!d->model) {
		snprintf(why, why_len, "device '%s' (%s) has no model in the hosted simulator",
			 kd->name, kd->compatible ? kd->compatible : "no compatible");
		return -1;
	}
	*out = 0;
	if (write)
		d->model->write(d, addr - kd->base, bytes, value);
	else
		*out = d->model->read(d, addr - kd->base, bytes);
	update(d, here, port_now());
	return 0;
}

/* ---- a core serves its shards' devices (dev.h) ------------------------- */

/* A device a core may serve: its model can be, and its owner is on core. */
static bool of_core(const struct hk_dev *d, uint32_t core)
{
	return d->model && d->model->serve && hk_kernel.sys->shards[d->kd->shard].core == core;
}

/* A core serves a device of an active owner each time the core's thread
 * wakes for a shard's call, a notification or a death (entered). An owner
 * that has not entered the kernel for HK_HOLD_NS is computing, or polling
 * without yielding: its device goes back to the model's worker until it
 * enters again, so frames never wait on the core longer than that. Only
 * the core's thread touches its devices' active, served and served_at. */
void hk_devices_serve(uint32_t core, bool entered)
{
	uint64_t now;

	if (!any_serve)
		return;
	now = port_now();
	for (uint32_t i = 0; i < hk_kernel.sys->n_devices; i++) {
		struct hk_dev *d = &devs[i];

		if (!of_core(d, core))
			continue;
		if (entered && d->active) {
			d->model->serve(d, true);
			d->served = true;
			d->served_at = now;
		} else if (d->served && now - d->served_at >= HK_HOLD_NS) {
			d->model->serve(d, false);
			d->served = false;
		}
	}
}

/* After the core's round: whose owners are active now (holding the core or
 * ready for it); the devices of the others go back to their workers.
 * Returns when the core must look again for a hold's end (VN_NEVER: none). */
uint64_t hk_devices_settle(uint32_t core)
{
	uint64_t next = VN_NEVER;

	for (uint32_t i = 0; any_serve && i < hk_kernel.sys->n_devices; i++) {
		struct hk_dev *d = &devs[i];
		const struct vn_shard *s = hk_shards[d->kd->shard].s;

		if (!of_core(d, core))
			continue;
		d->active = !hk_kernel.halted && (s->state == VN_READY || s->state == VN_RUNNING);
		if (d->served && !d->active) {
			d->model->serve(d, false);
			d->served = false;
		}
		if (d->served && d->served_at + HK_HOLD_NS < next)
			next = d->served_at + HK_HOLD_NS;
	}
	return next;
}

/* ---- for the models ---------------------------------------------------- */

int hk_rx_pop(struct hk_dev *d)
{
	int c;

	if (d->rx_count == 0)
		return -1;
	c = d->rx[d->rx_head];
	d->rx_head = (d->rx_head + 1) % HK_RX_FIFO;
	if (d->rx_count-- == HK_RX_FIFO)
		hk_dev_changed(); /* room again: the input thread may read on */
	return c;
}

void hk_tx_put(struct hk_dev *d, uint8_t c)
{
	(void)d;
	hk_console_out((const char *)&c, 1);
}

void hk_dev_changed(void)
{
	if (bell >= 0)
		hk_eventfd_ring(bell);
}

/* The owner's heap, shared with the kernel for exactly this, or a pool the
 * owner maps, with the owner's rights: a pool it maps read-only is the
 * device's to read, not to write. The mappings and their bounds never
 * change while the system runs, so no lock. */
void *hk_dma(struct hk_dev *d, uint64_t addr, uint64_t len, bool write)
{
	const struct vn_ksystem *sys = hk_kernel.sys;
	const struct vn_kshard *s = &sys->shards[d->kd->shard];
	void *own = hk_dma_ring(d, addr, len);

	if (own)
		return own;
	for (uint32_t i = 0; i < sys->n_pools; i++) {
		const struct vn_kpool *p = &sys->pools[i];
		int w = vn_kpool_access(p, s->id);

		if (w >= 0 && (w || !write) && addr >= p->addr && len <= p->size &&
		    addr - p->addr <= p->size - len)
			return hk_pools[i].map + (addr - p->addr);
	}
	return NULL;
}

/* The owner's heap alone, for a device's rings: what they say, the device
 * does with the owner's rights, so in a pool another shard may write that
 * shard could point the owner's device at the owner's heap. */
void *hk_dma_ring(struct hk_dev *d, uint64_t addr, uint64_t len)
{
	const struct vn_kshard *s = &hk_kernel.sys->shards[d->kd->shard];
	uint8_t *heap = hk_shards[d->kd->shard].heap;

	if (heap && addr >= s->heap && len <= s->memory && addr - s->heap <= s->memory - len)
		return heap + (addr - s->heap);
	return NULL;
}

void hk_dev_raise(struct hk_dev *d)
{
	pthread_mutex_lock(&hk_lock);
	if (!hk_kernel.halted)
		update(d, HERE_NONE, port_now());
	pthread_mutex_unlock(&hk_lock);
}

int hk_dev_set_option(const char *arg)
{
	const char *eq = strchr(arg, '=');

	if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof(options[0].device) ||
	    n_options == HK_MAX_DEVICES)
		return -1;
	memcpy(options[n_options].device, arg, (size_t)(eq - arg));
	options[n_options++].value = eq + 1;
	return 0;
}

const char *hk_dev_option(const char *device)
{
	for (uint32_t i = 0; i < n_options; i++)
		if (strcmp(options[i].device, device) == 0)
			return options[i].value;
	return NULL;
}

/* ---- the device thread ------------------------------------------------- */

static int timeout_ms(uint64_t now)
{
	uint64_t next = VN_NEVER;

	for (uint32_t i = 0; i < hk_kernel.sys->n_devices; i++) {
		struct hk_dev *d = &devs[i];
		uint64_t t = d->model && d->model->next_event ? d->model->next_event(d) : VN_NEVER;

		if (t < next)
			next = t;
	}
	if (next == VN_NEVER)
		return -1;
	if (next <= now)
		return 0;
	/* an RTC match may be 2^32 s away: more milliseconds than an int holds */
	return (next - now) / 1000000 >= INT_MAX ? INT_MAX : (int)((next - now + 999999) / 1000000);
}

/* Take what fits of the pending input. */
static bool take_input(void)
{
	uint8_t buf[HK_RX_FIFO];
	uint32_t room = HK_RX_FIFO - input_dev->rx_count;
	ssize_t n = read(STDIN_FILENO, buf, room);

	if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
		return false; /* end of input: the line stays quiet */
	for (ssize_t i = 0; i < n; i++) {
		uint32_t tail = (input_dev->rx_head + input_dev->rx_count++) % HK_RX_FIFO;

		input_dev->rx[tail] = buf[i];
	}
	return true;
}

static void *device_thread(void *arg)
{
	bool input_open = input_dev != NULL;
	uint64_t junk;

	(void)arg;
	pthread_mutex_lock(&hk_lock);
	for (;;) {
		uint64_t now = port_now();
		int timeout = timeout_ms(now);
		bool want = input_open && input_dev->rx_count < HK_RX_FIFO;
		struct pollfd fds[2] = {{.fd = bell, .events = POLLIN},
					{.fd = want ? STDIN_FILENO : -1, .events = POLLIN}};

		pthread_mutex_unlock(&hk_lock);
		if (poll(fds, 2, timeout) > 0 && (fds[0].revents & POLLIN))
			(void)!read(bell, &junk, sizeof(junk));
		pthread_mutex_lock(&hk_lock);
		if (hk_kernel.halted)
			continue;
		if (want && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)))
			input_open = take_input();
		now = port_now();
		for (uint32_t i = 0; i < hk_kernel.sys->n_devices; i++)
			update(&devs[i], HERE_NONE, now);
	}
	return NULL;
}

/* A terminal passes keys on as typed, without echo; ^C still interrupts. */
static void tty_setup(void)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &tty_saved) != 0)
		return;
	t = tty_saved;
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	tty_raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
}

/* At the end, and after a boot that failed at any point: before the system
 * tables were accepted (hk_kernel.sys is NULL then), with more devices than
 * devs holds, or part-way through hk_devices_prepare. So it looks only at
 * the devices prepare got to. */
void hk_devices_end(void)
{
	for (uint32_t i = 0; i < n_devs; i++)
		if (devs[i].model && devs[i].model->end)
			devs[i].model->end(&devs[i]);
	if (tty_raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &tty_saved);
	tty_raw = false;
}

void hk_devices_stats(void)
{
	for (uint32_t i = 0; i < n_devs; i++)
		if (devs[i].model && devs[i].model->stats)
			devs[i].model->stats(&devs[i]);
}

/* Boot, before the shards start: a model for each device that has one, and
 * a heap shared with the kernel for each shard whose device does DMA. */
int hk_devices_prepare(void)
{
	const struct vn_ksystem *sys = hk_kernel.sys;

	if (sys->n_devices > HK_MAX_DEVICES)
		return hk_msg("%u devices; the simulator models at most %u", sys->n_devices,
			      HK_MAX_DEVICES), -1;
	for (uint32_t i = 0; i < n_options; i++) {
		bool known = false;

		for (uint32_t j = 0; j < sys->n_devices; j++)
			known |= strcmp(sys->devices[j].name, options[i].device) == 0;
		if (!known)
			return hk_msg("--net %s=...: the system has no device '%s'",
				      options[i].device, options[i].device), -1;
	}
	for (uint32_t i = 0; i < sys->n_devices; i++) {
		struct hk_dev *d = &devs[i];
		struct hk_shard *h = &hk_shards[sys->devices[i].shard];
		void *map;

		d->kd = &sys->devices[i];
		d->model = model_of(d->kd->compatible);
		n_devs = i + 1;
		if (!d->model) {
			hk_msg("device '%s' (%s) has no model in the hosted simulator; "
			       "shard '%s' faults if it touches it", d->kd->name,
			       d->kd->compatible ? d->kd->compatible : "no compatible",
			       sys->shards[d->kd->shard].name);
			continue;
		}
		any_serve |= d->model->serve != NULL;
		if (d->model->dma && h->heap_fd < 0 && h->s->cfg->memory) {
			h->heap_fd = hk_memfd(h->s->cfg->name, h->s->cfg->memory, &map);
			if (h->heap_fd < 0)
				return hk_msg("cannot create the heap of shard '%s': %m",
					      h->s->cfg->name), -1;
			h->heap = map;
		}
		d->model->reset(d);
		if (d->model->console && !input_dev) {
			input_dev = d;
			d->input = true;
		}
	}
	return 0;
}

/* A shard restarts with a fresh heap: first stop its devices' DMA into it. */
void hk_devices_restart(uint32_t shard)
{
	struct hk_shard *h = &hk_shards[shard];

	for (uint32_t i = 0; i < hk_kernel.sys->n_devices; i++)
		if (devs[i].model && devs[i].model->dma && devs[i].kd->shard == shard)
			devs[i].model->reset(&devs[i]);
	if (h->heap)
		memset(h->heap, 0, h->s->cfg->memory);
}

/* Boot, once the shards exist: the models' workers and the device thread. */
int hk_devices_start(void)
{
	bool any = false;
	pthread_t thread;

	for (uint32_t i = 0; i < hk_kernel.sys->n_devices; i++) {
		struct hk_dev *d = &devs[i];

		if (!d->model)
			continue;
		any = true;
		if (d->model->start && d->model->start(d) != 0)
			return -1;
	}
	if (!any)
		return 0;
	bell = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (bell < 0 || pthread_create(&thread, NULL, device_thread, NULL) != 0)
		return hk_msg("cannot start the device models: %m"), -1;
	if (input_dev)
		tty_setup();
	return 0;
}
