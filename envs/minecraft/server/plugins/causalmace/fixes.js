'use strict'
// Repairs to stock flying-squid behaviour that multi-bot benchmarks trip over.
const inv = require('./inventory')

/** Late joiners got no player list (it went to everyone else), so their clients dropped the others' spawns. */
function fixPlayerList (serv) {
  const legacyEntry = (p) => ({ uuid: p.uuid, name: p.username, properties: p.profileProperties || [], gamemode: p.gameMode, ping: p._client.latency })
  const bitfieldEntry = (p) => ({ uuid: p.uuid, player: { name: p.username, properties: p.profileProperties || [] }, gamemode: p.gameMode, latency: p._client.latency })
  const sendList = (toPlayer) => {
    const bitfield = serv.supportFeature('playerInfoActionIsBitfield')
    const packet = bitfield
      ? { action: { add_player: true }, data: serv.players.map(bitfieldEntry) }
      : { action: 'add_player', data: serv.players.map(legacyEntry) }
    for (const p of serv.players) {
      if (p === toPlayer) p._client.write('player_info', packet)
      else p._client.write('player_info', { ...packet, data: packet.data.filter(e => e.uuid === toPlayer.uuid) })
    }
    // The stock code starts a latency timer right after this call and never stops it: stop it on leave.
    const orig = global.setInterval
    global.setInterval = (...a) => {
      global.setInterval = orig
      const handle = orig(...a)
      toPlayer.once('disconnected', () => clearInterval(handle))
      return handle
    }
  }
  // login.js sets serv._sendPlayerList again for each joining player; 'asap' fires after that and before login.
  serv.on('newPlayer', (player) => player.once('asap', () => { serv._sendPlayerList = sendList }))
}

/** Without a region folder an unloaded column is regenerated blank, losing every edit: keep columns loaded. */
function keepChunks (serv) {
  for (const w of [serv.overworld, serv.netherworld]) if (w) w.unloadColumn = () => {}
}

/**
 * Chunks and nearby entities follow a player only from the next move after the position changed, so a teleported
 * player that then stands still never got the chunks around it, nor saw (or was seen by) the players there:
 * update both as soon as any move (teleports included) is done.
 */
function chunksFollowTeleports (serv) {
  const sleep = (ms) => new Promise(resolve => setTimeout(resolve, ms))
  serv.on('newPlayer', (player) => {
    let chasing = false
    const far = () => player.lastPositionChunkUpdated && player.position.distanceTo(player.lastPositionChunkUpdated) > 16
    const chase = async () => {
      if (chasing) return
      chasing = true
      try {
        while (far() && !player.disconnected) {
          while (player.sendingChunks) await sleep(20) // a send for an older position is still going
          if (!far()) break
          if (serv.supportFeature('updateViewPosition')) {
            player._client.write('update_view_position', { chunkX: Math.floor(player.position.x / 16), chunkZ: Math.floor(player.position.z / 16) })
          }
          await player.worldSendRestOfChunks()
        }
      } finally {
        chasing = false
      }
    }
    player.on('move_done', () => {
      // Likewise for who sees whom: the stock check ran with the position from before the move.
      if (player.lastPositionPlayersUpdated && player.position.distanceTo(player.lastPositionPlayersUpdated) > 2) player.updateAndSpawn()
      chase().catch(() => {})
    })
  })
}

/** /give added counts as text ("1"+"1" = 11) and ignored stack sizes. */
function fixGive (serv) {
  serv.commands.add({
    base: 'give',
    info: 'Gives an item to a player.',
    usage: '/give <player> <item> [count]',
    op: true,
    parse (str) {
      const m = str.match(/^(\S+) (\S+)(?: (\d+))?$/)
      return m ? { target: m[1], item: m[2], count: m[3] ? parseInt(m[3], 10) : 1 } : false
    },
    action ({ target, item, count }, ctx) {
      const players = serv.getPlayers(target, ctx.player)
      if (!players.length) throw new (require('flying-squid').UserError)('Player not found')
      for (const p of players) {
        const left = inv.addItems(serv, p, item, count)
        if (left) p.chat(`Inventory full: ${left} ${item} not given`)
      }
    }
  })
}

/** Opening a chest showed an empty window and broke the client's inventory view: contents live in the plugin. */
function quietContainers (serv, names) {
  for (const name of names) {
    if (serv.registry.blocksByName[name]) serv.onBlockInteraction(name, async () => true)
  }
}

/**
 * Login ends by sending the player back to where it logged in, once its client first moves: a teleport made before
 * that is undone. Mark the player ready only when login is over, so scene building waits for it.
 */
function markLoginDone (serv) {
  serv.on('newPlayer', (player) => {
    const login = player.login
    player.login = async (...args) => {
      try {
        return await login.apply(player, args)
      } finally {
        player.loginDone = true
      }
    }
  })
}

module.exports = { markLoginDone, fixPlayerList, keepChunks, chunksFollowTeleports, fixGive, quietContainers }
