/*
 * sandbox.h - the seccomp filters that confine a hosted shard process
 * (sandbox.c, built into the kernel and into every shard).
 */
#ifndef VN_HOSTED_SANDBOX_H
#define VN_HOSTED_SANDBOX_H

enum vn_sandbox {
	/* Installed by the kernel in the new process, just before it execs
	 * the shard's program: what the program loader and the C library
	 * need to start it, on top of VN_SANDBOX_RUN, and nothing that
	 * reaches another process (the files it may open are the loader's:
	 * the kernel's Landlock rules, kernel/proc.c). It holds from the
	 * program's first instruction, so no shard code (a constructor, an
	 * ifunc resolver) runs unconfined. */
	VN_SANDBOX_START,
	/* Installed by the shard's runtime in main(), before it maps its
	 * channels: the calls a running shard makes, and no others. */
	VN_SANDBOX_RUN,
};

/* Sets no_new_privs and installs the filter for `stage`, which then holds
 * for the life of the process (a later one only narrows it). Returns 0, or
 * -1 with errno set. Async-signal-safe: the kernel calls it between fork
 * and exec. */
int vn_sandbox_install(enum vn_sandbox stage);

#endif /* VN_HOSTED_SANDBOX_H */
