'use strict'
// JSON-lines request/reply channel on an inherited socket fd, so that logs on stdout/stderr never mix with replies.
const net = require('net')
const readline = require('readline')

/**
 * Serve `handlers` (op name -> async function(args)) on the fd named by CAUSALMACE_RPC_FD.
 * Replies carry the request id; `emit` sends unsolicited events. The process exits when the peer goes away,
 * so a crashed Python parent never leaves a node process behind.
 */
function serveRpc (handlers, { onClose = () => process.exit(0) } = {}) {
  const fdText = process.env.CAUSALMACE_RPC_FD
  if (!fdText) return null
  const sock = new net.Socket({ fd: Number(fdText), readable: true, writable: true })
  const send = (msg) => { if (!sock.destroyed) sock.write(JSON.stringify(msg) + '\n') }
  const lines = readline.createInterface({ input: sock })
  lines.on('line', (line) => {
    let req
    try { req = JSON.parse(line) } catch (err) { return send({ id: null, ok: false, error: 'bad json: ' + err.message }) }
    const handler = handlers[req.op]
    if (!handler) return send({ id: req.id, ok: false, error: `unknown op '${req.op}'` })
    Promise.resolve()
      .then(() => handler(req.args || {}))
      .then((result) => send({ id: req.id, ok: true, result: result === undefined ? null : result }),
        (err) => send({ id: req.id, ok: false, error: (err && err.message) || String(err) }))
  })
  sock.on('error', () => {})
  sock.on('close', onClose)
  return { emit: (event, data) => send({ event, data }), send }
}

module.exports = { serveRpc }
