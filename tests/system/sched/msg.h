/* The message ping and pong use: a sequence number and a
 * payload derived from it, so a torn or misplaced slot is detected. */
#include <stdbool.h>
#include <stdint.h>

struct msg {
	uint32_t seq;
	uint32_t tag;
	uint8_t data[56];
};

static inline void msg_fill(struct msg *m, uint32_t seq, uint32_t tag)
{
	m->seq = seq;
	m->tag = tag;
	for (unsigned i = 0; i < sizeof(m->data); i++)
		m->data[i] = (uint8_t)(seq * 7u + tag + i);
}

static inline bool msg_ok(const struct msg *m, uint32_t seq, uint32_t tag)
{
	struct msg want;

	msg_fill(&want, seq, tag);
	return m->seq == seq && m->tag == tag &&
	       __builtin_memcmp(m->data, want.data, sizeof(want.data)) == 0;
}
