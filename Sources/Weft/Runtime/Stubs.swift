// TEMPORARY: placeholders replaced by the helpers' files (Sync, Queues, Pools, Locals).
