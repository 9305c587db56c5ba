// Thin Angular (16+, standalone) wrapper for the <myagent-chat> web component.
// Load the widget script once in index.html (see ../README.md).
import {
  AfterViewInit,
  Component,
  CUSTOM_ELEMENTS_SCHEMA,
  ElementRef,
  EventEmitter,
  Input,
  OnDestroy,
  Output,
  ViewChild,
  booleanAttribute,
} from "@angular/core";

export interface MyAgentChatMessage {
  role: "user" | "assistant";
  id: string | null;
  content: string;
  created_at: string | null;
  client_id?: string;
  reply_to?: string | null;
}

export interface MyAgentChatError {
  code: string;
  message: string | null;
  status?: number;
  retry_after?: number | null;
}

interface MyAgentChatElement extends HTMLElement {
  open(): void;
  close(): void;
  send(text: string): boolean;
}

@Component({
  selector: "app-myagent-chat",
  standalone: true,
  // Without this schema Angular rejects the unknown <myagent-chat> tag and its attributes.
  schemas: [CUSTOM_ELEMENTS_SCHEMA],
  // attr.* bindings: null/undefined removes the attribute, which lets server theme values apply.
  template: `
    <myagent-chat
      #chat
      [attr.agent-key]="agentKey"
      [attr.lang]="lang"
      [attr.api-base]="apiBase"
      [attr.title]="title"
      [attr.greeting]="greeting"
      [attr.avatar]="avatar"
      [attr.position]="position"
      [attr.launcher-text]="launcherText"
      [attr.primary-color]="primaryColor"
      [attr.user-id]="userId"
      [attr.user-hash]="userHash"
      [attr.open]="open ? '' : null"
    ></myagent-chat>
  `,
})
export class MyAgentChatComponent implements AfterViewInit, OnDestroy {
  @Input({ required: true }) agentKey!: string;
  @Input() lang?: "es" | "en";
  @Input() apiBase?: string;
  @Input() title?: string;
  @Input() greeting?: string;
  @Input() avatar?: string;
  @Input() position?: "left" | "right";
  @Input() launcherText?: string;
  @Input() primaryColor?: string;
  @Input() userId?: string;
  @Input() userHash?: string;
  /** Keep in sync with (opened)/(closed): the visitor can close the panel too. */
  @Input({ transform: booleanAttribute }) open = false;

  @Output() readonly opened = new EventEmitter<CustomEvent<Record<string, never>>>();
  @Output() readonly closed = new EventEmitter<CustomEvent<Record<string, never>>>();
  @Output() readonly message = new EventEmitter<CustomEvent<MyAgentChatMessage>>();
  @Output() readonly chatError = new EventEmitter<CustomEvent<MyAgentChatError>>();

  @ViewChild("chat", { static: true }) private chat!: ElementRef<MyAgentChatElement>;

  // Angular's (event) syntax treats "myagent:open" as target "myagent", so listen directly.
  private readonly listeners: Array<[string, (event: Event) => void]> = [
    ["myagent:open", (event) => this.opened.emit(event as CustomEvent)],
    ["myagent:close", (event) => this.closed.emit(event as CustomEvent)],
    ["myagent:message", (event) => this.message.emit(event as CustomEvent<MyAgentChatMessage>)],
    ["myagent:error", (event) => this.chatError.emit(event as CustomEvent<MyAgentChatError>)],
  ];

  ngAfterViewInit(): void {
    for (const [name, listener] of this.listeners) this.chat.nativeElement.addEventListener(name, listener);
  }

  ngOnDestroy(): void {
    for (const [name, listener] of this.listeners) this.chat.nativeElement.removeEventListener(name, listener);
  }

  openChat(): void {
    this.chat.nativeElement.open();
  }

  closeChat(): void {
    this.chat.nativeElement.close();
  }

  send(text: string): boolean {
    return this.chat.nativeElement.send(text);
  }
}
