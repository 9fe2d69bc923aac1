"""The teaching site: ``hipsim teach build OUT/`` writes a self-contained static site (HTML, CSS,
JavaScript, SVG) that opens from disk in any current browser, offline. It reads hipsim's results
(precomputed grids, :mod:`hipsim.teach.grid`) and interpolates between them in the page; it
computes nothing the rest of hipsim cannot compute."""
