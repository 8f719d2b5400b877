/* patient: shares the spinner's core; runs only once the spinner is gone. */
#include <vanity_shard.h>

void vn_main(void)
{
	vn_log("ran after the spinner");
}
