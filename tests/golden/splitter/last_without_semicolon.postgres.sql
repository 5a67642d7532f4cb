CREATE TABLE c (id int);
SELECT $$ last statement; without semicolon $$
/* trailing comment */
-- and another
