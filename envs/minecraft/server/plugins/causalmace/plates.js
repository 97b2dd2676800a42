'use strict'
// Pressure plates pressed by standing players: the stock server has no redstone for them, so the plugin watches
// player moves, keeps the set of pressed plates, and writes the powered state into the world like the real game.
const { Vec3 } = require('vec3')

const isPlate = (name) => name.endsWith('_pressure_plate')

class Plates {
  constructor (serv) {
    this.serv = serv
    this.onPlate = new Map() // username -> "x,y,z"
    this.listeners = []
  }

  key (p) { return `${p.x},${p.y},${p.z}` }

  async update (player, position) {
    const feet = position.floored()
    const block = await player.world.getBlock(feet)
    const now = block && isPlate(block.name) ? this.key(feet) : null
    const before = this.onPlate.get(player.username) || null
    if (now === before) return
    if (now) this.onPlate.set(player.username, now)
    else this.onPlate.delete(player.username)
    if (before && !this.pressers(before).length) await this.setPowered(player.world, before, false)
    if (now) await this.setPowered(player.world, now, true)
  }

  forget (player) {
    const before = this.onPlate.get(player.username)
    this.onPlate.delete(player.username)
    if (before && !this.pressers(before).length) this.setPowered(player.world, before, false).catch(() => {})
  }

  pressers (key) {
    return [...this.onPlate.entries()].filter(([, k]) => k === key).map(([name]) => name)
  }

  async setPowered (world, key, on) {
    const Block = require('prismarine-block')(this.serv.registry)
    const pos = new Vec3(...key.split(',').map(Number))
    const block = await world.getBlock(pos)
    if (!isPlate(block.name)) return
    const props = block.getProperties()
    if ('powered' in props) props.powered = on ? 'true' : 'false'
    else if ('power' in props) props.power = String(on ? Math.min(15, this.pressers(key).length) : 0)
    const state = Block.fromProperties(block.name, Object.fromEntries(Object.entries(props).map(([k, v]) => [k, String(v)])), 0)
    if (state.stateId !== block.stateId) await this.serv.setBlock(world, pos, state.stateId)
    for (const fn of this.listeners) fn({ position: pos.toArray(), pressed: on, players: this.pressers(key) })
  }

  pressed () {
    const byKey = new Map()
    for (const [name, k] of this.onPlate) {
      if (!byKey.has(k)) byKey.set(k, [])
      byKey.get(k).push(name)
    }
    return [...byKey.entries()].map(([k, players]) => ({ position: k.split(',').map(Number), players: players.sort() }))
  }
}

module.exports = { Plates, isPlate }
