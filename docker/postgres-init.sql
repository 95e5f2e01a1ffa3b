-- One PostgreSQL for both servers: a database each (compose.yaml mounts this into the image's init dir).
CREATE DATABASE prefect;
CREATE DATABASE mlflow;
