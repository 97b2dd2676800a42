'use strict'
// Container contents kept by the plugin: the stock server opens every chest empty and desyncs the client,
// so deposits and withdrawals are plugin operations and the contents live here, keyed by block position.

class Containers {
  constructor () {
    this.byPos = new Map()
  }

  key (pos) { return `${pos.x},${pos.y},${pos.z}` }

  get (pos) {
    const k = this.key(pos)
    if (!this.byPos.has(k)) this.byPos.set(k, {})
    return this.byPos.get(k)
  }

  contents (pos) { return { ...(this.byPos.get(this.key(pos)) || {}) } }

  put (pos, name, n) {
    const c = this.get(pos)
    c[name] = (c[name] || 0) + n
  }

  take (pos, name, n) {
    const c = this.get(pos)
    if ((c[name] || 0) < n) throw new Error(`container holds ${c[name] || 0} ${name}, not ${n}`)
    c[name] -= n
    if (c[name] === 0) delete c[name]
  }

  set (pos, items) { this.byPos.set(this.key(pos), { ...items }) }

  /** Forget a container (its block was removed) and hand back what it held. */
  remove (pos) {
    const k = this.key(pos)
    const items = this.byPos.get(k) || {}
    this.byPos.delete(k)
    return items
  }

  all () {
    const out = []
    for (const [k, items] of this.byPos) out.push({ position: k.split(',').map(Number), items: { ...items } })
    return out
  }
}

module.exports = { Containers }
