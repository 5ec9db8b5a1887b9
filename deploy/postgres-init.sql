-- Temporal's schemas live beside Ledgerflow's database on the same server.
CREATE DATABASE temporal;
CREATE DATABASE temporal_visibility;
