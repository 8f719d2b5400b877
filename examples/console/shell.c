/*
 * shell: gets the lines typed on the console (over shell_in), answers each
 * over shell_out, then prompts again. It never touches the UART.
 */
#include <vanity_shard.h>

#include <stdio.h>

#include "con.h"

_Static_assert(sizeof(struct con_msg) == VN_MSG_SIZE_SHELL_IN, "slot size");
_Static_assert(sizeof(struct con_msg) == VN_MSG_SIZE_SHELL_OUT, "slot size");

#define PROMPT "shell> "
#define LINE_MAX 256

static void say(const char *s)
{
	con_send(&vn_tx_shell_out, s, 0);
}

/* Gathers one line, however many messages it came in; a longer one is cut. */
static void read_line(char *line)
{
	struct con_msg m;
	size_t n = 0;

	do {
		while (!vn_recv(&vn_rx_shell_in, &m))
			vn_wait(VN_FOREVER);
		for (unsigned i = 0; i < m.len && n < LINE_MAX - 1; i++)
			line[n++] = m.text[i];
	} while (m.flags & CON_MORE);
	line[n] = '\0';
}

void vn_main(void)
{
	static char line[LINE_MAX], reply[LINE_MAX + 8];

	say("shell: type 'help' for the commands");
	for (;;) {
		con_send(&vn_tx_shell_out, PROMPT, CON_MORE);
		read_line(line);
		if (line[0] == '\0') {
			continue;
		} else if (strcmp(line, "help") == 0) {
			say("commands: help, quit; any other line is echoed");
		} else if (strcmp(line, "quit") == 0) {
			con_send(&vn_tx_shell_out, "goodbye", CON_HALT);
			vn_exit(0);
		} else {
			snprintf(reply, sizeof reply, "echo: %s", line);
			say(reply);
		}
	}
}
