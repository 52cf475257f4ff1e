import { createApp, run } from './app.js';
import { MemoryStore } from './store.js';

run(createApp(new MemoryStore()));
