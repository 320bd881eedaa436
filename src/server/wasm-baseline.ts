/**
 * Keeps WebAssembly on V8's baseline compiler (Liftoff) in the gateway's own processes. The one
 * module a gateway runs is undici's HTTP parser (llhttp), and once it is hot V8's dynamic tiering
 * recompiles it with TurboFan on a background thread: for llhttp that took about 90 ms of CPU and
 * 30–35 MB of compiler memory for a tenth of a second, at whatever moment it became hot (during a
 * client's upload, say) — a quarter of the gateway's memory at that instant. Baseline code parses
 * the upstreams' answers at no cost the benchmarks can see (executor CPU per line 201 vs 204 µs;
 * bench/RESULTS.md, "Big uploads: reused read buffers, and a compile that was a third of the peak").
 * Must run before the first upstream connection: undici compiles the module then, not at import.
 */
import { setFlagsFromString } from 'node:v8';

export function keepWasmOnBaseline(): void {
  setFlagsFromString('--liftoff-only');
}
