// Preloaded into pglite-server (`node --import`) by PgliteServerFixture. Two fixes for tests:
//
// 1. The server exits when its stdin closes, that is when the test process that started it ends,
//    even by a crash, so no PGlite is left running.
//
// 2. pglite-socket 0.0.20 passes each TCP read straight to PGlite. A protocol message split across two
//    reads (anything over 64 KB, and smaller ones when the client flushes in pieces, as Npgsql does
//    every 8 KB) makes PGlite abort with "RuntimeError: unreachable" and the server dies. Fixed upstream
//    after 0.0.20 (electric-sql/pglite#775, #873); until then this hands PGlite whole messages only.
import { pathToFileURL } from 'node:url';

process.stdin.on('end', () => process.exit(0));
process.stdin.resume();

const socketModule = process.env.IMAGEEMBED_PGLITE_SOCKET_MODULE;
if (!socketModule) throw new Error('IMAGEEMBED_PGLITE_SOCKET_MODULE must name pglite-socket/dist/index.js');
const { PGLiteSocketHandler } = await import(pathToFileURL(socketModule).href);

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const handleData = PGLiteSocketHandler.prototype.handleData;

PGLiteSocketHandler.prototype.handleData = function (chunk) {
  // One handler per connection, so the partial message and the protocol phase live on it.
  this.partial = this.partial?.length ? Buffer.concat([this.partial, chunk]) : Buffer.from(chunk);
  let end = 0;
  for (;;) {
    const left = this.partial.length - end;
    let length;
    if (this.startupDone) {
      // Type byte, then an Int32 length that counts itself but not the type byte.
      if (left < 5) break;
      length = 1 + this.partial.readInt32BE(end + 1);
    } else {
      // Startup-phase messages have no type byte: Int32 length, Int32 code.
      if (left < 8) break;
      length = this.partial.readInt32BE(end);
    }
    if (left < length) break;
    if (!this.startupDone) {
      const code = this.partial.readInt32BE(end + 4);
      this.startupDone = code !== SSL_REQUEST && code !== GSSENC_REQUEST;
    }
    end += length;
  }
  if (end === 0) return Promise.resolve(0);
  const whole = this.partial.subarray(0, end);
  this.partial = this.partial.subarray(end);
  return handleData.call(this, whole);
};
