/*
 * The console's text message: one 64-byte channel slot. A line longer than
 * CON_TEXT bytes travels as several messages, each but the last flagged
 * CON_MORE; the console ends the line after the last one.
 */
#ifndef CONSOLE_CON_H
#define CONSOLE_CON_H

#include <stdint.h>
#include <string.h>

#include <vanity.h>

#define CON_TEXT 62

#define CON_MORE 0x01 /* the line goes on: no line end after this text */
#define CON_HALT 0x02 /* after printing this, stop the system with status 0 */

struct con_msg {
	uint8_t len;         /* bytes used in text */
	uint8_t flags;       /* CON_* */
	char text[CON_TEXT]; /* not NUL-terminated */
};

_Static_assert(sizeof(struct con_msg) == 64, "one 64-byte slot");

/*
 * Sends s as one line (or, with CON_MORE in flags, as text the line goes on
 * after, like a prompt), split into as many messages as it takes; waits
 * while the channel is full. flags apply to the last message.
 */
static inline void con_send(const struct vn_tx *tx, const char *s, uint8_t flags)
{
	size_t left = strlen(s);

	do {
		struct con_msg m = {.len = left > CON_TEXT ? CON_TEXT : (uint8_t)left};

		m.flags = left > CON_TEXT ? CON_MORE : flags;
		memcpy(m.text, s, m.len);
		while (!vn_send(tx, &m))
			vn_wait(VN_FOREVER);
		s += m.len;
		left -= m.len;
	} while (left > 0);
}

#endif
