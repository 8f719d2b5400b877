/*
 * vanity/reload.h - hot reload: the image format and what the kernel answers.
 *
 * A reload image is one shard's new code and data, wrapped so the kernel can
 * check it before anything stops (docs/reload.md):
 *
 *   struct vn_reload_hdr   128 bytes, little-endian
 *   image                  `length` bytes: the shard's executable on the
 *                          hosted board, its blob (struct vn_image first)
 *                          on a bare-metal board
 *   signature              `sig_len` bytes; none yet (sig_kind 0)
 *
 * The kernel computes the image's SHA-256 and compares it with the header,
 * then asks the port whether the image is one it can run in the shard's
 * place: built for this ISA, inside the shard's image region, and carrying
 * the shard's interface hash (VN_IFACE_*) as the generator wrote it from the
 * spec: the shard's channels, devices, memory and events. A new version may
 * change its code and private data, never its place in the system.
 *
 * `vanity reload` (generator/reload.py) writes these; a shard with the
 * `updates` right hands one to the kernel with vn_reload().
 */
#ifndef VANITY_RELOAD_H
#define VANITY_RELOAD_H

#include <stdint.h>

#define VN_RELOAD_MAGIC 0x4c524e56u /* "VNRL" */
#define VN_RELOAD_VERSION 1u
#define VN_RELOAD_HDR 128u

struct vn_reload_hdr {
	uint32_t magic;      /* VN_RELOAD_MAGIC */
	uint16_t version;    /* VN_RELOAD_VERSION */
	uint16_t hdr_size;   /* VN_RELOAD_HDR */
	uint32_t machine;    /* ELF e_machine the image runs on */
	uint32_t shard;      /* id of the shard it is for */
	uint64_t board;      /* FNV-1a 64 of the board's name */
	uint64_t iface;      /* the shard's interface hash, as its image carries it */
	uint64_t length;     /* bytes of image after this header */
	uint8_t sha256[32];  /* of those bytes */
	uint32_t sig_kind;   /* 0: unsigned; signatures are future work */
	uint32_t sig_len;    /* bytes of signature after the image: 0 */
	char name[32];       /* the shard's name, NUL-padded: for messages */
	uint8_t reserved[16];
};

_Static_assert(sizeof(struct vn_reload_hdr) == VN_RELOAD_HDR, "reload header is 128 bytes");

/* Where an image carries its interface hash:
 *  - hosted: an ELF note in a PT_NOTE segment, name "Vanity", type
 *    VN_IFACE_NOTE, 8 bytes of description (the hash);
 *  - bare metal: struct vn_image's `iface` (vn_bare_abi.h). */
#define VN_IFACE_NOTE_NAME "Vanity"
#define VN_IFACE_NOTE 0x564e0001u

/* The door of a bare-metal board (docs/reload.md): how a host tool hands
 * the kernel a reload image without a debugger attached by the user, as a
 * debug probe would. The generator places it in RAM (manifest
 * `reload_door`, whenever a shard may be reloaded): this mailbox, one page,
 * then room for one reload image (VN_DOOR_IMAGE).
 *
 * The kernel zeroes the page at boot and then writes `open`. The host
 * stops the guest (QEMU's gdbstub), writes the image after the page, then
 * magic, shard, length and a `seq` one above the last, and lets it go. CPU
 * 0 looks at the mailbox at each trap, and every 10 ms while it idles: a
 * new seq is a request for vn_reload_request(). When it is over (swapped,
 * refused, or given up), the kernel writes status and generation (the
 * shard's after it), then `done` = seq. A host reading the page while the
 * guest runs reads `done` before the answer it guards. An accepted request
 * whose swap waits (the shard has not given its core up) has `taken` = seq
 * meanwhile; the door takes no other request until it is over. */
#define VN_DOOR_MAGIC 0x524f4f44u /* "DOOR": a request is written */
#define VN_DOOR_OPEN 0x4e45504fu  /* "OPEN": the kernel polls its door */
#define VN_DOOR_PAGE 4096u
#define VN_DOOR_IMAGE VN_DOOR_PAGE /* offset of the reload image */

struct vn_door {
	/* the host's */
	uint32_t magic;      /* VN_DOOR_MAGIC */
	uint32_t seq;        /* bumped for each request */
	uint32_t shard;      /* id of the shard to reload */
	uint32_t reserved0;
	uint64_t length;     /* bytes of the reload image at VN_DOOR_IMAGE */
	uint64_t reserved1;
	/* the kernel's */
	uint32_t open;       /* VN_DOOR_OPEN once the kernel polls */
	uint32_t done;       /* seq of the last request answered */
	uint32_t status;     /* its VN_RELOAD_* */
	uint32_t generation; /* the shard's generation after it */
	uint32_t taken;      /* seq of the last request accepted, its swap under way */
	uint32_t reserved2;
};

_Static_assert(sizeof(struct vn_door) == 56, "the door's mailbox (generator/gdbremote.py)");

/* The notification bit a reload with a handoff sets in the old version:
 * "write your state to the handoff region and call vn_reload_quiesce()".
 * The generator keeps it free in every shard that declares a handoff. */
#define VN_RELOAD_BIT 63u

/* What the kernel says of a request: VN_RELOAD_OK, or why not. The same
 * words on every board, in the kernel's report and in vn_reload_why(). */
#define VN_RELOAD_REASONS(X)                                                          \
	X(OK, "accepted")                                                             \
	X(TRUNCATED, "truncated: shorter than its header says")                       \
	X(FORMAT, "not a Vanity reload image (bad magic, version or header size)")    \
	X(DIGEST, "corrupted: its SHA-256 does not match its header")                 \
	X(ISA, "built for another ISA")                                              \
	X(BOARD, "built for another board")                                          \
	X(SHARD, "built for another shard")                                          \
	X(SIZE, "too large for the shard's image region")                            \
	X(IMAGE, "not an image this board can run")                                  \
	X(IFACE, "its interface (channels, devices, memory, events) differs from "    \
		 "the running system's")                                              \
	X(SIGNED, "signed images are not supported yet")                             \
	X(BUSY, "a reload of this shard is already under way")                       \
	X(HALTED, "the system is halting")                                           \
	X(DENIED, "the caller has no right to reload that shard")                    \
	X(NOROOM, "no room to stage the image")                                      \
	X(LATE, "the running version did not quiesce in time")                       \
	X(FAULTED, "the running version faulted before the swap")                    \
	X(OFF, "the shard cannot be reloaded: its spec has no reload: key")           \
	X(EXITED, "the shard has exited; restart the system to run it again")          \
	X(START, "the new image did not start; the one before it runs again")          \
	X(STOPPED, "neither the new image nor the one before it started; the shard "   \
		   "is stopped")

enum vn_reload_status {
#define VN_RELOAD_ENUM(n, s) VN_RELOAD_##n,
	VN_RELOAD_REASONS(VN_RELOAD_ENUM)
#undef VN_RELOAD_ENUM
	VN_RELOAD_COUNT
};

static inline const char *vn_reload_why(uint32_t status)
{
#define VN_RELOAD_WORDS(n, s) s,
	static const char *const words[] = {VN_RELOAD_REASONS(VN_RELOAD_WORDS)};
#undef VN_RELOAD_WORDS
	return status < VN_RELOAD_COUNT ? words[status] : "unknown";
}

#endif /* VANITY_RELOAD_H */
