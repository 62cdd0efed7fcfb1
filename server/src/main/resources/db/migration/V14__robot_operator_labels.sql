-- Labels an operator sets on a machine (PUT /api/robots/{id}/labels), kept apart from the labels its agent advertises
-- in `hello` and at enrollment (the `labels` column, which every hello overwrites): a hello never touches this column,
-- so the agent cannot wipe what an operator set. Jobs target the two merged, the operator's value winning on a key both
-- set. A JSON object of strings, like `labels`. Additive: a node of the previous release ignores it (it dispatches on
-- the agent's labels alone until it is upgraded).
ALTER TABLE robots ADD COLUMN operator_labels TEXT NOT NULL DEFAULT '{}';
