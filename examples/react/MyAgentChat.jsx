// Thin React wrapper for the <myagent-chat> web component (React 18 and 19).
// Load the widget script once in your HTML first (see ../README.md).
import { forwardRef, useEffect, useImperativeHandle, useLayoutEffect, useRef } from "react";

// useLayoutEffect warns during server rendering; on the server nothing needs to run anyway.
const useIsomorphicLayoutEffect = typeof window === "undefined" ? useEffect : useLayoutEffect;

// Set imperatively rather than as JSX props: React 19 assigns JSX props to element
// properties when they exist, so `open` would overwrite the element's open() method and
// clearing `title` would write the string "undefined". This behaves the same in 18 and 19.
const ATTRIBUTES = {
  agentKey: "agent-key",
  lang: "lang",
  apiBase: "api-base",
  title: "title",
  greeting: "greeting",
  avatar: "avatar",
  position: "position",
  launcherText: "launcher-text",
  primaryColor: "primary-color",
  userId: "user-id",
  userHash: "user-hash",
};

const EVENTS = {
  "myagent:open": "onOpen",
  "myagent:close": "onClose",
  "myagent:message": "onMessage",
  "myagent:error": "onError",
};

/**
 * Props map 1:1 to the element's attributes (agentKey -> agent-key, ...).
 * `open` starts/keeps the panel open; keep it in sync with onOpen/onClose, because the
 * visitor can also close the panel. Callbacks receive the CustomEvent (data in event.detail).
 * The ref exposes { open(), close(), send(text), element }.
 */
export const MyAgentChat = forwardRef(function MyAgentChat(
  { open = false, className, style, onOpen, onClose, onMessage, onError, ...props },
  ref,
) {
  const elementRef = useRef(null);
  const handlers = useRef({});
  handlers.current = { onOpen, onClose, onMessage, onError };

  // Layout effect: runs in the same task as the insertion, before the element reads its
  // attributes (it waits one microtask after connecting).
  const values = Object.keys(ATTRIBUTES).map((prop) => props[prop]);
  useIsomorphicLayoutEffect(() => {
    const element = elementRef.current;
    Object.entries(ATTRIBUTES).forEach(([prop, attribute]) => {
      const value = props[prop];
      if (value == null || value === "") element.removeAttribute(attribute);
      else if (element.getAttribute(attribute) !== String(value)) element.setAttribute(attribute, String(value));
    });
  }, values);

  useIsomorphicLayoutEffect(() => {
    elementRef.current.toggleAttribute("open", Boolean(open));
  }, [open]);

  useEffect(() => {
    const element = elementRef.current;
    const listeners = Object.entries(EVENTS).map(([eventName, prop]) => {
      const listener = (event) => {
        const handler = handlers.current[prop];
        if (handler) handler(event);
      };
      element.addEventListener(eventName, listener);
      return [eventName, listener];
    });
    return () => listeners.forEach(([eventName, listener]) => element.removeEventListener(eventName, listener));
  }, []);

  useImperativeHandle(ref, () => ({
    open: () => elementRef.current.open(),
    close: () => elementRef.current.close(),
    send: (text) => elementRef.current.send(text),
    get element() {
      return elementRef.current;
    },
  }), []);

  return <myagent-chat ref={elementRef} class={className} style={style} />;
});

export default MyAgentChat;
