"""WebSocket broadcast (`/ws/{client_id}`): a connection manager per process and a broker
(in-process, or Redis pub/sub so that every process and host sees every message)."""
