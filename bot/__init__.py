"""Community hub for relationship-population (関係人口) ambassador programmes on Discord and LINE."""
