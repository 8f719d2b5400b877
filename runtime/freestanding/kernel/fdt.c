/*
 * fdt.c - the little a bare-metal kernel reads from the device tree its
 * firmware hands over: /cpus, to check the board booted is one the kernel
 * can run (its CPUs numbered 0..n-1, as PSCI and SBI are asked to start
 * them) and to give the port the timebase to check; and where a node of
 * a given `compatible` is, for a port to check that an optional device of
 * its board is there before it uses it. The board itself comes from the
 * generator's copy of the tree.
 *
 * A flattened device tree is a header, then a stream of big-endian tokens:
 * BEGIN_NODE name, PROP len nameoff value, END_NODE, END. The walk stays
 * within the structure block the header gives.
 */
#include <string.h>

#include "bm.h"
#include "kconsole.h"

#define FDT_MAGIC 0xd00dfeedu
#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE 2u
#define FDT_PROP 3u
#define FDT_NOP 4u

/* What a walk of the tree gathers: /cpus, and the node bm_fdt_find looks for. */
struct scan {
	uint32_t timebase; /* /cpus timebase-frequency, or 0 */
	uint32_t cpus;     /* cpu nodes */
	uint32_t max_id;   /* the largest cpu reg (hart id, MPIDR) */
	/* The node to find (bm_fdt_find), or NULL: */
	const char *compat;  /* a string of its compatible list */
	uint64_t found;      /* the first such node's address, or 0 */
	uint64_t node_reg;   /* the node being read: its reg's address, */
	bool node_match;     /* and whether its compatible lists `compat` */
};

/* Out of line: a walk reads a dozen of them, byte by byte (strict
 * alignment), and is done once at boot. */
static __attribute__((noinline)) uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t align4(uint32_t n)
{
	return (n + 3) & ~3u;
}

/* Whether the string list v (len bytes, each string ended by a NUL)
 * holds s. */
static bool lists(const uint8_t *v, uint32_t len, const char *s)
{
	for (uint32_t at = 0; at < len;) {
		uint32_t n = 0;

		while (at + n < len && v[at + n])
			n++;
		if (at + n < len && !strcmp((const char *)v + at, s))
			return true;
		at += n + 1;
	}
	return false;
}

/* The node just read (its properties come before its subnodes) is the one
 * looked for: keep its address if it is the first. */
static void node_done(struct scan *c)
{
	if (c->node_match && !c->found)
		c->found = c->node_reg;
	c->node_reg = 0;
	c->node_match = false;
}

/* The node looked for: its compatible, and its reg's first address (two
 * cells, as under QEMU virt's /soc; a node whose parent counts otherwise
 * gives an address its caller will not recognise). */
static void find_prop(struct scan *c, const char *name, const uint8_t *v, uint32_t len)
{
	if (!strcmp(name, "compatible") && lists(v, len, c->compat))
		c->node_match = true;
	if (!strcmp(name, "reg") && len >= 8)
		c->node_reg = (uint64_t)be32(v) << 32 | be32(v + 4);
}

/* A property of /cpus (depth 2) or of one of its cpu nodes (depth 3). */
static void prop(struct scan *c, int depth, const char *name, const uint8_t *v,
		 uint32_t len)
{
	if (depth == 2 && len == 4 && !strcmp(name, "timebase-frequency"))
		c->timebase = be32(v);
	if (depth == 3 && len == 4 && !strcmp(name, "reg")) {
		c->cpus++;
		if (be32(v) > c->max_id)
			c->max_id = be32(v);
	}
}

/* Fill *c from the tree at fdt, looking for a node compatible with
 * `compat` (NULL: none); -1 if there is no tree. */
static int walk(const void *fdt, struct scan *c, const char *compat)
{
	const uint8_t *h = fdt, *p, *end;
	const char *strings;
	int depth = 0, in_cpus = 0;

	*c = (struct scan){.compat = compat};
	if (!h || be32(h) != FDT_MAGIC)
		return -1;
	p = h + be32(h + 8);
	end = p + be32(h + 36);
	strings = (const char *)h + be32(h + 12);
	while (p + 4 <= end) {
		uint32_t tok = be32(p);

		p += 4;
		if (tok == FDT_BEGIN_NODE) {
			node_done(c);
			if (++depth == 2)
				in_cpus = !strcmp((const char *)p, "cpus");
			p += align4((uint32_t)strlen((const char *)p) + 1);
		} else if (tok == FDT_END_NODE) {
			node_done(c);
			depth--;
		} else if (tok == FDT_PROP && p + 8 <= end) {
			uint32_t len = be32(p);

			if (len > (uint32_t)(end - (p + 8)))
				break;
			if (in_cpus)
				prop(c, depth, strings + be32(p + 4), p + 8, len);
			if (c->compat)
				find_prop(c, strings + be32(p + 4), p + 8, len);
			p += 8 + align4(len);
		} else if (tok != FDT_NOP) {
			break;
		}
	}
	return 0;
}

/* Boot only where the tree at fdt numbers its CPUs 0..n-1 with n at least
 * the cores used. Returns its timebase-frequency (0 if it has none). */
uint32_t bm_fdt_check_cpus(const void *fdt)
{
	struct scan c;

	if (walk(fdt, &c, NULL) != 0)
		bm_boot_fail("no device tree from the firmware", NULL);
	if (c.cpus < vn_system.n_cores) {
		vn_kmsg("cannot boot: the board has %u CPU%s, the system uses %u cores "
			"(run QEMU with -smp = cores used)", c.cpus, c.cpus == 1 ? "" : "s",
			vn_system.n_cores);
		arch_exit(1);
	}
	if (c.max_id + 1 != c.cpus) {
		vn_kmsg("cannot boot: the CPUs are not numbered 0..%u (the largest is %u)",
			c.cpus - 1, c.max_id);
		arch_exit(1);
	}
	return c.timebase;
}

/* The address of the first node of the tree at fdt whose compatible list
 * holds `compatible`; 0 if there is none, or no tree. */
uint64_t bm_fdt_find(const void *fdt, const char *compatible)
{
	struct scan c;

	return walk(fdt, &c, compatible) == 0 ? c.found : 0;
}
