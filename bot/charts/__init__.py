"""Chart images (PNG) for the faces: vote results now, programme numbers later."""
