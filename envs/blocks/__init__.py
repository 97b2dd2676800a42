"""Block worlds in Minecraft's manner: their action specs, the Judger's rules and the team's survey.

Shared by the CraftWorld simulator and the live Minecraft env, and by the agents written for them.
"""
