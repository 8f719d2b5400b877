/*
 * hello: a client of the console. It has no device: its one line goes to
 * the console shard over a channel, which prints it on the UART.
 */
#include <vanity_shard.h>

#include "con.h"

_Static_assert(sizeof(struct con_msg) == VN_MSG_SIZE_HELLO_OUT, "slot size");

void vn_main(void)
{
	con_send(&vn_tx_hello_out, "hello from the hello shard, through the console", 0);
	vn_exit(0);
}
