DROP TABLE sync_links;
DROP TABLE sync_edges;
DROP TABLE sync_objects;
DROP TABLE sync_runs;
DROP TABLE sync_directories;
