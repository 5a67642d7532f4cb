-- dbtool:no-transaction
CREATE TABLE b (
  id INTEGER -- the id; yes
);
  INSERT INTO b VALUES (1);  INSERT INTO b VALUES (2);


    SELECT
      id
    FROM b;
