"""Platform-neutral services: the rules live here, and both faces (Discord, LINE) call them."""
