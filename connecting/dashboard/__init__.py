"""The programme team's dashboard and the impact pack: figures read with a few aggregate queries,
drawn as server-side SVG, and printed as a page or a PDF. No models of its own."""
