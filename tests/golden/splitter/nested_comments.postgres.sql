/* outer /* inner; */ still in the outer comment; */ SELECT 1;
SELECT 2 /* a /* b /* c; */ */ ; */ + 1;
-- a line comment with ; and ' and " and /* in it
SELECT 3; /* closing
over several; lines */ SELECT 4;
SELECT 5 / 2 * 3 - 1 AS arithmetic, '*/' AS not_a_close;
