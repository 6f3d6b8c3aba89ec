/** glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit: the largest freed block that raises the thresholds. */
const DYNAMIC_THRESHOLD_BYTES_MAX = 32 * 1024 * 1024;
/** Margin below it for malloc's chunk header and page rounding. */
const HEADER_MARGIN_BYTES = 64 * 1024;

/**
 * Keeps glibc's malloc from handing memory back to the kernel after every garbage collection.
 *
 * Why: by default glibc trims the top of its heap whenever more than 128 KiB is free there
 * (M_TRIM_THRESHOLD) and serves blocks of 128 KiB and more with fresh mmap()s
 * (M_MMAP_THRESHOLD). Node allocates a new 64 KiB buffer for every socket read, and a young
 * generation GC frees tens of megabytes of them at once, so the heap shrinks and grows again all
 * the time and every byte a producer sends lands in freshly faulted-in pages: about 160,000 page
 * faults per GB received, a third of the broker's CPU producing 1 KB records (bench/README.md).
 *
 * How: glibc raises both thresholds itself when an mmap'd block is freed (the dynamic mmap
 * threshold of mallopt(3)): the mmap threshold becomes the block's size and the trim threshold
 * twice that, for the rest of the process. One such block of just under 32 MiB, dropped here, is
 * freed by the first garbage collections after start-up; from then on blocks below 32 MiB come
 * from the heap and up to 64 MiB of free heap stays mapped. The effect is what
 * MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=67108864 would give, without the
 * environment. With those variables set (they turn the dynamic adjustment off), or another malloc,
 * it is one allocation and nothing else.
 */
export function raiseMallocThresholds(): void {
  const block = Buffer.allocUnsafeSlow(DYNAMIC_THRESHOLD_BYTES_MAX - HEADER_MARGIN_BYTES);
  // Touch one byte so the allocation cannot be elided; the block is garbage once this returns.
  block[0] = 0;
}
