'use strict'
// Creatures. flying-squid's /summon spawns only what minecraft-data files as 'mob' (on 1.18+ the farm animals
// are 'animal'), and a killed creature drops nothing. The plugin spawns a scene's creatures itself; a player's
// hit on one deals the best weapon it carries by the shared rule table (as the offline simulator has it), with
// no knockback so the creature stays where the scene put it; and, as for digging, the creature's drops and what
// an item used on it gives go straight to that player by the same table.
const { Vec3 } = require('vec3')
const { randomUUID } = require('crypto')
const inv = require('./inventory')

class Creatures {
  constructor (serv, rules) {
    this.serv = serv
    this.rules = rules
    this.ours = new Map() // entity id -> creature name
  }

  summon (name, position) {
    const serv = this.serv
    const info = serv.registry.entitiesByName[name]
    if (!info) throw new Error(`Minecraft ${serv.registry.version.minecraftVersion} has no creature '${name}'`)
    const rule = this.rules.creatures[name]
    const mob = serv.initEntity('mob', info.id, serv.overworld, new Vec3(...position))
    Object.assign(mob, {
      uuid: randomUUID(),
      name,
      velocity: new Vec3(0, 0, 0),
      pitch: 0,
      yaw: 0,
      headPitch: 0,
      gravity: new Vec3(0, -20, 0),
      terminalvelocity: new Vec3(27, 27, 27),
      friction: new Vec3(15, 0, 15),
      size: new Vec3(info.width || 0.75, info.height || 1.75, info.width || 0.75),
      health: rule ? rule.health : 10,
      metadata: []
    })
    mob.updateAndSpawn()
    this.ours.set(mob.id, name)
    return this.describe(mob)
  }

  describe (e) {
    return { id: e.id, name: e.name, position: e.position.toArray(), health: e.health }
  }

  /** The creatures this plugin spawned that are still alive. */
  alive () {
    const out = []
    for (const id of this.ours.keys()) {
      const e = this.serv.entities[id]
      if (e && e.health > 0) out.push(this.describe(e))
    }
    return out
  }

  /** Take creatures away (an earlier scene's, on a server that outlives it). */
  despawn (ids) {
    for (const id of ids.map(Number)) {
      const e = this.serv.entities[id]
      if (e && this.ours.has(id)) this.serv.destroyEntity(e)
      this.ours.delete(id)
    }
    return this.alive()
  }

  damageOf (player) {
    let best = 1
    for (const name of Object.keys(inv.counts(player))) best = Math.max(best, this.rules.weapons[name] || 1)
    return best
  }

  watch (player) {
    player.on('attack_cancel', (data) => {
      if (!this.ours.has(data.attackedEntity.id)) return
      data.damage = this.damageOf(player)
      data.velocity = new Vec3(0, 0, 0)
    })
    player.on('attack_done', (data, cancelled) => {
      const e = data.attackedEntity
      if (cancelled || !this.ours.has(e.id) || e.health > 0) return
      this.ours.delete(e.id)
      this.serv.destroyEntity(e)
      const rule = this.rules.creatures[e.name]
      for (const [item, n] of (rule ? rule.drops : [])) {
        if (this.serv.registry.itemsByName[item]) inv.addItems(this.serv, player, item, n)
      }
    })
  }

  /** Use an item the player carries on one of our creatures (a bucket on a cow), by the rule table. */
  use (player, id, item, reach) {
    const e = this.serv.entities[Number(id)]
    if (!e || !this.ours.has(e.id)) throw new Error(`no creature ${id} alive`)
    const d = player.position.distanceTo(e.position) // bodies as they stand; the rules measure between cells,
    if (d > reach + 1) throw new Error(`${e.name} is ${d.toFixed(1)} blocks away, reach is ${reach}`) // hence a block's leeway
    const rule = this.rules.uses.find(u => u.item === item && u.entity === e.name)
    if (!rule) throw new Error(`using ${item} on ${e.name} does nothing`)
    inv.transaction(this.serv, player, () => {
      if (rule.consumes) inv.removeItems(this.serv, player, item, 1)
      return inv.addItems(this.serv, player, rule.gives, 1)
    })
    return { item: rule.gives, count: 1, from: e.name }
  }
}

module.exports = { Creatures }
