"""Web UI for energy managers: server-rendered pages whose charts read the project's REST API."""
