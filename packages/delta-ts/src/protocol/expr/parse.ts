import { DeltaError } from '../../errors.js'
import type { DataType } from '../schema.js'
import type { ArithOp, ColumnExpr, CompareOp, Expr, FuncExpr, FuncName, LiteralExpr, Operand } from './types.js'

/*
 * A hand-written recursive-descent parser for SQL predicates (the WHERE-clause subset delta-ts evaluates).
 *
 *   predicate := or
 *   or        := and (OR and)*
 *   and       := not (AND not)*
 *   not       := NOT not | atom
 *   atom      := '(' predicate ')' | operand [suffix]
 *   suffix    := cmpOp operand | '<=>' operand | IS [NOT] NULL | IS [NOT] DISTINCT FROM operand | [NOT] IN '(' literal (',' literal)* ')'
 *              | [NOT] BETWEEN operand AND operand | [NOT] LIKE string [ESCAPE string]
 *   operand   := term (('+' | '-') term)*
 *   term      := unary (('*' | '/' | '%') unary)*
 *   unary     := '-' unary | '+' unary | primary          ('-' before a number makes a negative literal)
 *   primary   := column | literal | '(' operand ')' | func '(' [operand (',' operand)*] ')'
 *              | CAST '(' operand AS type ')'
 *   column    := ident ('.' ident)*          ident: a letter or _ then letters, digits, _; or `back quoted`
 *   literal   := number | string | TRUE | FALSE | NULL | DATE string | TIMESTAMP string | TIMESTAMP_NTZ string
 *              | X'hex'
 *
 * A parenthesis opens a predicate when it can; `(a + 1) * 2 > 3` falls back to a parenthesized operand.
 * Strings take single or double quotes (Spark's default); a doubled quote is one quote character, backslash is
 * not an escape in string literals. Keywords are case-insensitive.
 */

export type TokKind =
  | 'ident'
  | 'qident'
  | 'number'
  | 'string'
  | 'hex'
  | 'op'
  | 'lparen'
  | 'rparen'
  | 'comma'
  | 'dot'
  | 'eof'

export interface Token {
  kind: TokKind
  text: string
  /** The decoded value of a string / quoted identifier / hex literal. */
  value: string
  pos: number
}

function describe(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'end of input'
    case 'string':
      return `string '${t.value}'`
    default:
      return `'${t.text}'`
  }
}

function failAt(sql: string, pos: number, message: string, what: string): never {
  const caret = `${sql}\n${' '.repeat(Math.max(0, pos))}^`
  throw new DeltaError('INVALID_PREDICATE', `invalid ${what} at position ${pos}: ${message}\n${caret}`)
}

function fail(sql: string, pos: number, message: string): never {
  return failAt(sql, pos, message, 'predicate')
}

// Identifiers: letters (any script), digits and underscores, not starting with a digit.
const ID_START = /^[\p{L}_]$/u
const ID_PART = /^[\p{L}\p{M}\p{N}_]$/u

/** The whole code point at `i` (two UTF-16 units for astral characters). */
function codePointAt(s: string, i: number): string {
  return String.fromCodePoint(s.codePointAt(i) ?? 0)
}

/**
 * Splits SQL text into tokens. Shared by the predicate parser and the value-expression parser of UPDATE and
 * MERGE assignments (`core/update.ts`); `what` names the grammar in error messages.
 *
 * @throws DeltaError `INVALID_PREDICATE` with the position of an unterminated literal or unexpected character.
 */
export function tokenize(sql: string, what = 'predicate'): Token[] {
  const fail = (s: string, pos: number, message: string): never => failAt(s, pos, message, what)
  const out: Token[] = []
  let i = 0
  while (i < sql.length) {
    const ch = sql[i]
    if (/\s/.test(ch)) {
      i++
      continue
    }
    const start = i
    if ((ch === 'x' || ch === 'X') && sql[i + 1] === "'") {
      const end = sql.indexOf("'", i + 2)
      if (end < 0) fail(sql, start, 'unterminated hex literal')
      const body = sql.slice(i + 2, end)
      if (!/^([0-9A-Fa-f]{2})*$/.test(body)) fail(sql, start + 2, 'a hex literal needs an even number of hex digits')
      out.push({ kind: 'hex', text: sql.slice(start, end + 1), value: body, pos: start })
      i = end + 1
      continue
    }
    if (ID_START.test(codePointAt(sql, i))) {
      while (i < sql.length && ID_PART.test(codePointAt(sql, i))) i += codePointAt(sql, i).length
      out.push({ kind: 'ident', text: sql.slice(start, i), value: sql.slice(start, i), pos: start })
      continue
    }
    if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      while (i < sql.length && /[0-9]/.test(sql[i])) i++
      if (sql[i] === '.') {
        i++
        while (i < sql.length && /[0-9]/.test(sql[i])) i++
      }
      if ((sql[i] === 'e' || sql[i] === 'E') && /[-+0-9]/.test(sql[i + 1] ?? '')) {
        let j = i + 1
        if (sql[j] === '+' || sql[j] === '-') j++
        if (!/[0-9]/.test(sql[j] ?? '')) fail(sql, j, 'expected digits in the exponent')
        while (j < sql.length && /[0-9]/.test(sql[j])) j++
        i = j
      }
      if (i < sql.length && ID_PART.test(codePointAt(sql, i)))
        fail(sql, i, `unexpected '${codePointAt(sql, i)}' after number`)
      out.push({ kind: 'number', text: sql.slice(start, i), value: sql.slice(start, i), pos: start })
      continue
    }
    if (ch === "'" || ch === '"' || ch === '`') {
      let value = ''
      let j = i + 1
      for (;;) {
        if (j >= sql.length)
          fail(sql, start, ch === '`' ? 'unterminated quoted identifier' : 'unterminated string literal')
        if (sql[j] === ch) {
          if (sql[j + 1] === ch) {
            value += ch
            j += 2
            continue
          }
          break
        }
        value += sql[j]
        j++
      }
      i = j + 1
      out.push({ kind: ch === '`' ? 'qident' : 'string', text: sql.slice(start, i), value, pos: start })
      continue
    }
    if (sql.startsWith('<=>', i)) {
      out.push({ kind: 'op', text: '<=>', value: '<=>', pos: start })
      i += 3
      continue
    }
    const two = sql.slice(i, i + 2)
    if (two === '<=' || two === '>=' || two === '!=' || two === '<>' || two === '==') {
      out.push({ kind: 'op', text: two, value: two, pos: start })
      i += 2
      continue
    }
    if ('<>=-+*/%'.includes(ch)) {
      out.push({ kind: 'op', text: ch, value: ch, pos: start })
      i++
      continue
    }
    if (ch === '(' || ch === ')' || ch === ',' || ch === '.') {
      const kind: TokKind = ch === '(' ? 'lparen' : ch === ')' ? 'rparen' : ch === ',' ? 'comma' : 'dot'
      out.push({ kind, text: ch, value: ch, pos: start })
      i++
      continue
    }
    fail(sql, start, `unexpected character '${ch}'`)
  }
  out.push({ kind: 'eof', text: '', value: '', pos: sql.length })
  return out
}

const COMPARE_OPS = new Set(['=', '==', '!=', '<>', '<', '<=', '>', '>='])
const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'is', 'null', 'like', 'between', 'true', 'false', 'escape'])

class Parser {
  private i = 0
  constructor(
    private readonly sql: string,
    private readonly toks: Token[],
  ) {}

  private peek(offset = 0): Token {
    return this.toks[Math.min(this.i + offset, this.toks.length - 1)]
  }
  private next(): Token {
    const t = this.peek()
    if (t.kind !== 'eof') this.i++
    return t
  }
  private isKw(t: Token, kw: string): boolean {
    return t.kind === 'ident' && t.text.toLowerCase() === kw
  }
  private acceptKw(kw: string): boolean {
    if (this.isKw(this.peek(), kw)) {
      this.i++
      return true
    }
    return false
  }
  private expectKw(kw: string, context: string): void {
    if (!this.acceptKw(kw)) this.error(`expected ${kw.toUpperCase()} ${context}`)
  }
  private error(expected: string, at: Token = this.peek()): never {
    fail(this.sql, at.pos, `${expected}, found ${describe(at)}`)
  }

  /** A value expression (an operand of the grammar) spanning the whole input. */
  parseValue(): Operand {
    const e = this.parseOperand('expected a column, a literal, - or (')
    if (this.peek().kind !== 'eof') this.error('expected an operator (+ - * / %) or end of input')
    return e
  }

  parse(): Expr {
    if (this.peek().kind === 'eof') this.error('expected a predicate')
    const e = this.parseOr()
    if (this.peek().kind !== 'eof') this.error('expected AND, OR or end of input')
    return e
  }

  private parseOr(): Expr {
    const children = [this.parseAnd()]
    while (this.acceptKw('or')) children.push(this.parseAnd())
    return children.length === 1 ? children[0] : { kind: 'or', children }
  }

  private parseAnd(): Expr {
    const children = [this.parseNot()]
    while (this.acceptKw('and')) children.push(this.parseNot())
    return children.length === 1 ? children[0] : { kind: 'and', children }
  }

  private parseNot(): Expr {
    if (this.acceptKw('not')) return { kind: 'not', child: this.parseNot() }
    return this.parseAtom()
  }

  private parseAtom(): Expr {
    if (this.peek().kind === 'lparen') {
      // '(' predicate ')' first; a value in parentheses that an operator or a suffix follows is an operand.
      const start = this.i
      let failure: { error: unknown; at: number } | undefined
      try {
        this.next()
        const e = this.parseOr()
        if (this.peek().kind !== 'rparen') this.error("expected ')'")
        this.next()
        const isValue = e.kind === 'column' || e.kind === 'literal' || e.kind === 'arith' || e.kind === 'negate'
        if (!isValue || !this.continuesOperand()) return e
      } catch (err) {
        failure = { error: err, at: this.i }
      }
      this.i = start
      try {
        return this.parseSuffix(this.parseOperand('expected a column, a literal, NOT or ('))
      } catch (err) {
        // Report whichever reading got further into the input.
        if (failure && failure.at > this.i) throw failure.error
        throw err
      }
    }
    const left = this.parseOperand('expected a column, a literal, NOT or (')
    return this.parseSuffix(left)
  }

  /** Whether the next token continues a value (an operator, IS, IN, BETWEEN, LIKE, NOT ...). */
  private continuesOperand(): boolean {
    const t = this.peek()
    if (t.kind === 'op') return true
    return ['is', 'in', 'between', 'like', 'not'].some((k) => this.isKw(t, k))
  }

  private parseSuffix(left: Operand): Expr {
    const t = this.peek()
    if (t.kind === 'op' && COMPARE_OPS.has(t.text)) {
      this.next()
      const op: CompareOp = t.text === '<>' ? '!=' : t.text === '==' ? '=' : (t.text as CompareOp)
      const right = this.parseOperand(`expected a column or a literal after '${t.text}'`)
      return { kind: 'compare', op, left, right }
    }
    if (t.kind === 'op' && t.text === '<=>') {
      this.next()
      const right = this.parseOperand("expected a column or a literal after '<=>'")
      return { kind: 'nullSafeEq', left, right, negated: false }
    }
    if (this.acceptKw('is')) {
      const negated = this.acceptKw('not')
      if (this.acceptKw('distinct')) {
        this.expectKw('from', 'after IS [NOT] DISTINCT')
        const right = this.parseOperand('expected a column or a literal after DISTINCT FROM')
        // IS NOT DISTINCT FROM is <=>; IS DISTINCT FROM its negation.
        return { kind: 'nullSafeEq', left, right, negated: !negated }
      }
      if (!this.acceptKw('null'))
        this.error(
          negated ? 'expected NULL or DISTINCT FROM after IS NOT' : 'expected NULL, NOT NULL or DISTINCT FROM after IS',
        )
      return { kind: 'isNull', operand: left, negated }
    }
    let negated = false
    if (this.isKw(t, 'not')) {
      const n = this.peek(1)
      if (this.isKw(n, 'in') || this.isKw(n, 'like') || this.isKw(n, 'between')) {
        this.next()
        negated = true
      } else {
        this.next()
        this.error('expected IN, LIKE or BETWEEN after NOT')
      }
    }
    if (this.acceptKw('in')) {
      if (this.peek().kind !== 'lparen') this.error("expected '(' after IN")
      this.next()
      const list: LiteralExpr[] = []
      for (;;) {
        const item = this.parseOperand('expected a literal in the IN list')
        if (item.kind !== 'literal')
          fail(this.sql, this.toks[this.i - 1].pos, 'expected a literal in the IN list, found a column')
        list.push(item)
        if (this.peek().kind === 'comma') {
          this.next()
          continue
        }
        if (this.peek().kind === 'rparen') {
          this.next()
          break
        }
        this.error("expected ',' or ')' in the IN list")
      }
      return { kind: 'in', value: left, list, negated }
    }
    if (this.acceptKw('between')) {
      const lo = this.parseOperand('expected the lower bound after BETWEEN')
      this.expectKw('and', 'between the BETWEEN bounds')
      const hi = this.parseOperand('expected the upper bound after BETWEEN ... AND')
      const range: Expr = {
        kind: 'and',
        children: [
          { kind: 'compare', op: '>=', left, right: lo },
          { kind: 'compare', op: '<=', left, right: hi },
        ],
      }
      return negated ? { kind: 'not', child: range } : range
    }
    if (this.acceptKw('like')) {
      const p = this.peek()
      if (p.kind !== 'string') this.error('expected a string pattern after LIKE')
      this.next()
      let escapeChar = '\\'
      if (this.acceptKw('escape')) {
        const e = this.peek()
        if (e.kind !== 'string' || [...e.value].length !== 1) this.error('expected a one-character string after ESCAPE')
        this.next()
        escapeChar = e.value
      }
      return { kind: 'like', operand: left, pattern: p.value, escape: escapeChar, negated }
    }
    // A bare operand is a predicate only when it is boolean-valued; the binder checks the type.
    return left
  }

  private parseOperand(expected: string): Operand {
    let left = this.parseTerm(expected)
    for (;;) {
      const t = this.peek()
      if (t.kind !== 'op' || (t.text !== '+' && t.text !== '-')) return left
      this.next()
      left = { kind: 'arith', op: t.text as ArithOp, left, right: this.parseTerm(`expected a value after '${t.text}'`) }
    }
  }

  private parseTerm(expected: string): Operand {
    let left = this.parseUnary(expected)
    for (;;) {
      const t = this.peek()
      if (t.kind !== 'op' || (t.text !== '*' && t.text !== '/' && t.text !== '%')) return left
      this.next()
      left = {
        kind: 'arith',
        op: t.text as ArithOp,
        left,
        right: this.parseUnary(`expected a value after '${t.text}'`),
      }
    }
  }

  private parseUnary(expected: string): Operand {
    const t = this.peek()
    if (t.kind === 'op' && (t.text === '-' || t.text === '+')) {
      const n = this.peek(1)
      this.next()
      if (n.kind === 'number') {
        this.next()
        return numberLiteral(t.text === '-' ? `-${n.text}` : n.text)
      }
      const operand = this.parseUnary(`expected a value after '${t.text}'`)
      return t.text === '-' ? { kind: 'negate', operand } : operand
    }
    if (t.kind === 'lparen') {
      this.next()
      const e = this.parseOperand('expected a value after (')
      if (this.peek().kind !== 'rparen') this.error("expected ')'")
      this.next()
      return e
    }
    return this.parsePrimary(expected)
  }

  private parsePrimary(expected: string): Operand {
    const t = this.peek()
    if (t.kind === 'number') {
      this.next()
      return numberLiteral(t.text)
    }
    if (t.kind === 'string') {
      this.next()
      return { kind: 'literal', value: t.value }
    }
    if (t.kind === 'hex') {
      this.next()
      const bytes = new Uint8Array(t.value.length / 2)
      for (let k = 0; k < bytes.length; k++) bytes[k] = parseInt(t.value.slice(2 * k, 2 * k + 2), 16)
      return { kind: 'literal', value: bytes }
    }
    if (t.kind === 'ident') {
      const lower = t.text.toLowerCase()
      if (lower === 'true' || lower === 'false') {
        this.next()
        return { kind: 'literal', value: lower === 'true' }
      }
      if (lower === 'null') {
        this.next()
        return { kind: 'literal', value: null }
      }
      if ((lower === 'date' || lower === 'timestamp' || lower === 'timestamp_ntz') && this.peek(1).kind === 'string') {
        this.next()
        const s = this.next()
        return { kind: 'literal', value: s.value, typeHint: lower }
      }
      if (KEYWORDS.has(lower)) this.error(expected)
      if (this.peek(1).kind === 'lparen') return this.parseCall()
      return this.parseColumn()
    }
    if (t.kind === 'qident') return this.parseColumn()
    this.error(expected)
  }

  /** `name(args)` or `CAST(x AS type)`; the name must be one of {@link FUNCTIONS}. */
  private parseCall(): FuncExpr {
    const nameTok = this.next()
    const lower = nameTok.text.toLowerCase()
    const name = FUNCTIONS[lower]
    if (!name) fail(this.sql, nameTok.pos, `unsupported function '${nameTok.text}' (supported: ${SUPPORTED_FUNCTIONS})`)
    this.next() // (
    const args: Operand[] = []
    let castTo: DataType | undefined
    if (this.peek().kind !== 'rparen') {
      for (;;) {
        args.push(this.parseOperand(`expected an argument of ${nameTok.text}`))
        if (name === 'cast') {
          this.expectKw('as', 'in CAST(value AS type)')
          castTo = this.parseTypeName()
          break
        }
        if (this.peek().kind !== 'comma') break
        this.next()
      }
    }
    if (this.peek().kind !== 'rparen') this.error(`expected ')' to close ${nameTok.text}(`)
    this.next()
    return castTo !== undefined ? { kind: 'func', name, args, castTo } : { kind: 'func', name, args }
  }

  /** A Spark SQL type name in CAST: INT, BIGINT, STRING, DATE, TIMESTAMP, DECIMAL(p, s), ... */
  private parseTypeName(): DataType {
    const t = this.next()
    if (t.kind !== 'ident') this.error('expected a type name', t)
    const lower = t.text.toLowerCase()
    if (lower === 'decimal' || lower === 'numeric' || lower === 'dec') {
      let precision = 10
      let scale = 0
      if (this.peek().kind === 'lparen') {
        this.next()
        const p = this.next()
        if (p.kind !== 'number') this.error('expected the decimal precision', p)
        precision = Number(p.text)
        if (this.peek().kind === 'comma') {
          this.next()
          const sc = this.next()
          if (sc.kind !== 'number') this.error('expected the decimal scale', sc)
          scale = Number(sc.text)
        }
        if (this.peek().kind !== 'rparen') this.error("expected ')' after the decimal precision and scale")
        this.next()
      }
      return `decimal(${precision},${scale})` as DataType
    }
    const type = TYPE_NAMES[lower]
    if (!type) fail(this.sql, t.pos, `unsupported type '${t.text}' in CAST`)
    return type
  }

  private parseColumn(): ColumnExpr {
    const path: string[] = []
    for (;;) {
      const t = this.next()
      if (t.kind === 'ident') path.push(t.text)
      else if (t.kind === 'qident') {
        if (t.value === '') fail(this.sql, t.pos, 'empty quoted identifier')
        path.push(t.value)
      } else this.error('expected a field name', t)
      if (this.peek().kind !== 'dot') break
      this.next()
    }
    return { kind: 'column', path }
  }
}

const FUNCTIONS: Record<string, FuncName> = {
  cast: 'cast',
  year: 'year',
  month: 'month',
  day: 'day',
  dayofmonth: 'day',
  hour: 'hour',
  to_date: 'to_date',
  date_format: 'date_format',
  substring: 'substring',
  substr: 'substring',
  concat: 'concat',
  upper: 'upper',
  ucase: 'upper',
  lower: 'lower',
  lcase: 'lower',
  length: 'length',
  char_length: 'length',
  abs: 'abs',
  coalesce: 'coalesce',
}
const SUPPORTED_FUNCTIONS = Object.keys(FUNCTIONS).join(', ')

const TYPE_NAMES: Record<string, DataType> = {
  tinyint: 'byte',
  byte: 'byte',
  smallint: 'short',
  short: 'short',
  int: 'integer',
  integer: 'integer',
  bigint: 'long',
  long: 'long',
  float: 'float',
  real: 'float',
  double: 'double',
  string: 'string',
  varchar: 'string',
  boolean: 'boolean',
  date: 'date',
  timestamp: 'timestamp',
  timestamp_ntz: 'timestamp_ntz',
  binary: 'binary',
}

function numberLiteral(text: string): LiteralExpr {
  // Integers stay exact as bigint when a double cannot hold them; the binder re-reads `text` for decimals.
  if (/^[-+]?\d+$/.test(text)) {
    const n = Number(text)
    return { kind: 'literal', value: Number.isSafeInteger(n) ? n : BigInt(text), text }
  }
  return { kind: 'literal', value: Number(text), text }
}

/**
 * Parses a SQL value expression (the `operand` of the grammar: a column, a literal, arithmetic with `+ - * / %`
 * and unary minus, parentheses), the right-hand side of `SET col = expr` in UPDATE and MERGE. The result is
 * the same node tree as an operand of a predicate ({@link Operand}).
 *
 * @throws DeltaError `INVALID_PREDICATE` with the position of the problem, like {@link parsePredicate}.
 */
export function parseValue(sql: string): Operand {
  return new Parser(sql, tokenize(sql, 'value expression')).parseValue()
}

/**
 * Parses a SQL predicate such as `date >= '2024-01-01' AND department_id IN (1, 4) AND name IS NOT NULL` into
 * an (unbound) {@link Expr}. Supports arithmetic (+ - * / % and unary minus, usual precedence) in operands,
 * function calls (CAST, YEAR, MONTH, DAY, HOUR, TO_DATE, DATE_FORMAT, SUBSTRING, CONCAT, UPPER, LOWER, LENGTH,
 * ABS, COALESCE), = == != <> < <= > >=, null-safe `<=>` and IS [NOT] DISTINCT FROM, [NOT] IN, IS [NOT] NULL,
 * [NOT] BETWEEN (inclusive,
 * rewritten to >= AND <=), [NOT] LIKE with ESCAPE, AND / OR / NOT with SQL precedence (NOT > AND > OR),
 * parentheses, nested and backtick-quoted column names (`` `my col`.x ``), and the literals described in the
 * grammar above. Qualified names (`target.id`) parse as paths; {@link bindExpr} decides whether the first part is
 * a qualifier.
 *
 * @throws DeltaError `INVALID_PREDICATE` whose message gives the 0-based character position, what was
 *   expected and what was found, followed by the input with a caret under the position.
 */
export function parsePredicate(sql: string): Expr {
  return new Parser(sql, tokenize(sql)).parse()
}
