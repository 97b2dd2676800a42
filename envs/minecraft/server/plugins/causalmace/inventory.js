'use strict'
// Inventory arithmetic on a flying-squid player's window: counts by name, stacking adds, exact removals.
// The stock /give and pickup code add counts without stack limits (and as text); everything here goes through
// these helpers so the server's inventory and the client's stay in step via set_slot.

const MAIN_START = 9 // 9..35 main, 36..44 hotbar
const MAIN_END = 45

function itemInfo (serv, name) {
  const info = serv.registry.itemsByName[String(name).replace(/^minecraft:/, '')]
  if (!info) throw new Error(`unknown item '${name}'`)
  return info
}

function counts (player) {
  const out = {}
  for (let s = MAIN_START; s < MAIN_END; s++) {
    const it = player.inventory.slots[s]
    if (it && it.count > 0) out[it.name] = (out[it.name] || 0) + Number(it.count)
  }
  return out
}

function countOf (player, name) {
  return counts(player)[name] || 0
}

/** Slot order a real client fills: hotbar first, then the main inventory. */
function slotOrder () {
  const order = []
  for (let s = 36; s < MAIN_END; s++) order.push(s)
  for (let s = MAIN_START; s < 36; s++) order.push(s)
  return order
}

/** Add `n` items, topping up stacks first; returns how many did not fit. */
function addItems (serv, player, name, n) {
  const Item = require('prismarine-item')(serv.registry)
  const info = itemInfo(serv, name)
  let left = Math.floor(Number(n))
  if (!(left >= 0)) throw new Error(`bad count '${n}'`)
  const order = slotOrder()
  for (const s of order) {
    if (left === 0) break
    const it = player.inventory.slots[s]
    if (!it || it.type !== info.id) continue
    const room = info.stackSize - Number(it.count)
    if (room <= 0) continue
    const add = Math.min(room, left)
    player.inventory.updateSlot(s, new Item(info.id, Number(it.count) + add))
    left -= add
  }
  for (const s of order) {
    if (left === 0) break
    if (player.inventory.slots[s]) continue
    const add = Math.min(info.stackSize, left)
    player.inventory.updateSlot(s, new Item(info.id, add))
    left -= add
  }
  return left
}

/** Remove exactly `n` items or nothing at all. */
function removeItems (serv, player, name, n) {
  const info = itemInfo(serv, name)
  let left = Math.floor(Number(n))
  if (countOf(player, info.name) < left) throw new Error(`not enough ${info.name}: have ${countOf(player, info.name)}, need ${left}`)
  const Item = require('prismarine-item')(serv.registry)
  // Take from the main inventory before the hotbar, so the held item lasts longest.
  const order = slotOrder().reverse()
  for (const s of order) {
    if (left === 0) break
    const it = player.inventory.slots[s]
    if (!it || it.type !== info.id) continue
    const take = Math.min(Number(it.count), left)
    const rest = Number(it.count) - take
    player.inventory.updateSlot(s, rest > 0 ? new Item(info.id, rest) : null)
    left -= take
  }
}

/**
 * Run `fn` as one trade: if it throws, or an added item did not fit, every slot is put back as it was.
 * `fn` returns the leftover count of its adds (0 when everything fitted).
 */
function transaction (serv, player, fn) {
  const Item = require('prismarine-item')(serv.registry)
  const before = []
  for (let s = MAIN_START; s < MAIN_END; s++) {
    const it = player.inventory.slots[s]
    before.push(it ? [it.type, Number(it.count)] : null)
  }
  const restore = () => {
    for (let s = MAIN_START; s < MAIN_END; s++) {
      const was = before[s - MAIN_START]
      const it = player.inventory.slots[s]
      const same = was ? (it && it.type === was[0] && Number(it.count) === was[1]) : !it
      if (!same) player.inventory.updateSlot(s, was ? new Item(was[0], was[1]) : null)
    }
  }
  let result
  try {
    result = fn()
  } catch (err) {
    restore()
    throw err
  }
  if (result) {
    restore()
    throw new Error('inventory full')
  }
}

module.exports = { counts, countOf, addItems, removeItems, transaction, itemInfo }
