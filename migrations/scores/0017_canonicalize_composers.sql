-- 0017_canonicalize_composers: data fix. Imports spelled the same composer several ways,
-- which split composer pages and defeated deduplication; rewrite the known variants to one
-- canonical full name (the normalized_id of 0018 is computed from it).

UPDATE scores SET composer = 'Johann Sebastian Bach'
WHERE composer IN ('Bach', 'J.S. Bach', 'J. S. Bach', 'JS Bach', 'Bach, Johann Sebastian');

UPDATE scores SET composer = 'Wolfgang Amadeus Mozart'
WHERE composer IN ('Mozart', 'W.A. Mozart', 'W. A. Mozart', 'Mozart, Wolfgang Amadeus');

UPDATE scores SET composer = 'Ludwig van Beethoven'
WHERE composer IN ('Beethoven', 'L. van Beethoven', 'Beethoven, Ludwig van');

UPDATE scores SET composer = 'Frédéric Chopin'
WHERE composer IN ('Chopin', 'F. Chopin', 'Frederic Chopin', 'Chopin, Frédéric');
