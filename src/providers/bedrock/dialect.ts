/** How chat lines are read for Bedrock: messages name it, and images must be inline bytes. */
import type { ChatDialect } from '../shared/chat-request.js';

export const BEDROCK_DIALECT: ChatDialect = Object.freeze({ name: 'Bedrock', imageLinks: false });
