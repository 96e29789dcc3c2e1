DROP TABLE events;
DROP TABLE memberships;
DROP TABLE groups;
DROP TABLE user_emails;
DROP TABLE users;
DROP TABLE credentials;
DROP TABLE tenants;
