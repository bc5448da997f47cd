"""One way to reach a person: Discord DM or LINE push, with LINE's monthly push budget in one place."""
