/**
 * I/O errors injected under chosen paths, for tests: a disk that fails (EIO) or fills (ENOSPC)
 * under one log dir while the others keep working. The storage engine calls `check` before the
 * file operations it does through its own handles (segment and index writes, reads, fsyncs,
 * checkpoint writes), and a failing path throws an error shaped as Node's own (`code`, `errno`,
 * `syscall`, `path`), so it takes the same way through the engine as a real one.
 *
 * Nothing is injected unless a test asks: `check` returns at once while no path fails.
 */
export type InjectedErrorCode = "EIO" | "ENOSPC" | "EROFS";

const ERRNO: Record<InjectedErrorCode, number> = { EIO: -5, ENOSPC: -28, EROFS: -30 };
const MESSAGE: Record<InjectedErrorCode, string> = {
  EIO: "i/o error",
  ENOSPC: "no space left on device",
  EROFS: "read-only file system",
};

export class StorageFaults {
  private readonly failing = new Map<string, InjectedErrorCode>();
  /** Operations refused so far (tests check that the fault was met). */
  injectedCount = 0;

  /** Every operation on a file under `pathPrefix` fails with `code` until `heal`. */
  fail(pathPrefix: string, code: InjectedErrorCode = "EIO"): void {
    this.failing.set(pathPrefix, code);
  }

  heal(pathPrefix: string): void {
    this.failing.delete(pathPrefix);
  }

  /** Throws the injected error when `path` is under a failing prefix. */
  check(path: string, syscall: string): void {
    if (this.failing.size === 0) return;
    for (const [prefix, code] of this.failing) {
      if (path === prefix || path.startsWith(prefix.endsWith("/") ? prefix : `${prefix}/`)) {
        this.injectedCount++;
        const error = new Error(`${code}: ${MESSAGE[code]}, ${syscall} '${path}'`) as NodeJS.ErrnoException;
        error.code = code;
        error.errno = ERRNO[code];
        error.syscall = syscall;
        error.path = path;
        throw error;
      }
    }
  }
}
